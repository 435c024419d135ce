/**
 * The pipeline's vocabulary. A stage looks at one thing (a call before the upstream, or a result after it) and
 * returns a Verdict. Stages never call each other; the order lives in one list (see assemble.ts).
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Detection } from '../guardrails/types.js';
import type { Logger } from '../log.js';
import type { ArgumentRule, RateLimit } from '../policy/config-schema.js';
import type { RedactionVault } from './vault.js';

export type { Detection };

export type Verdict<T> =
  | { action: 'allow'; detections?: Detection[] } // detections: recorded (warn, shadow), not acted on
  | { action: 'modify'; value: T; reason: string; detections?: Detection[] }
  | { action: 'deny'; ruleId: string; reason: string; detections?: Detection[] };

export type DenyVerdict = Extract<Verdict<unknown>, { action: 'deny' }>;

/** Which slot of the flow a stage fills; it names the stage in block messages. */
export type Slot = 'input-guardrail' | 'parameter-check' | 'output-guardrail';

export interface Stage<T> {
  readonly name: string;
  readonly slot: Slot;
  /** `closed` (the default): a stage that throws denies. `open`: a throw is recorded and the call goes on. */
  readonly failureMode?: 'closed' | 'open';
  /** `shadow`: a deny is recorded but not enforced, for rolling a rule out. Default `enforce`. */
  readonly mode?: 'enforce' | 'shadow';
  check(value: T, ctx: CallContext): Promise<Verdict<T>> | Verdict<T>;
  /**
   * Optional: precompute per-tool state (compiled schemas, say) when a server's tool list arrives, so the work is
   * done off the call path. Called after every catalog change; must not throw for a tool it cannot prepare (the
   * check then decides, failing closed).
   */
  warm?(tools: readonly Tool[]): void;
}

/** A tools/call after routing: the upstream's own names. */
export interface ToolCall {
  /** The name the client used, e.g. `fs__read_text_file`. */
  readonly exposedName: string;
  readonly server: string;
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
}

export type ToolResult = CallToolResult;

export type RequestStage = Stage<ToolCall>;
export type ResponseStage = Stage<ToolResult>;

/** What the user answered when asked to approve a call (MCP elicitation). */
export type ApprovalAnswer = 'once' | 'session' | 'deny';

export interface ApprovalRequest {
  /** Shown to the user: which tool, and why the policy asks. */
  message: string;
  /** Remembered for the session when the user answers "allow for this session". */
  key: string;
}

/**
 * State that lives as long as one client session: approvals given "for this session", and the sensitive values
 * that results carried (the data-flow guard). stdio has one session per gateway process.
 */
export interface SessionState {
  readonly id: string;
  readonly approved: Set<string>;
  /** Secret and PII values that results of this session carried, for the data-flow guard. */
  readonly tainted: Map<string, { entity: string; from: string }>;
}

/** The per-server settings a parameter check needs, already resolved (absolute paths). */
export interface ServerPolicyContext {
  /** Directories the server works in (absolute); path checks keep paths inside them. */
  readonly roots: readonly string[];
  /** The server's working directory (absolute), against which relative paths resolve. */
  readonly cwd: string;
  readonly arguments: Readonly<Record<string, ArgumentRule>>;
  /** Credential locations the server may reach (policy/args/credential-path.ts); absent means 'deny'. */
  readonly credentialPaths?: 'allow' | readonly string[];
  readonly annotations: Readonly<Record<string, { readOnly?: boolean; destructive?: boolean; openWorld?: boolean }>>;
  readonly rateLimit?: RateLimit;
}

/**
 * Who is calling, resolved from the gateway key. A stdio session with no identities configured is the local user
 * in the default project.
 */
export interface Principal {
  /** The user's email, or "local". */
  readonly user: string;
  readonly project: string;
  /** The user's role in the project; absent for the local user. */
  readonly role?: string;
  /** The id of the gateway key that authenticated the caller (never the secret). */
  readonly keyId?: string;
  /** SSO sessions (serve.sso): the token's "sub" and "iss", for the audit. Absent for a gateway key. */
  readonly subject?: string;
  readonly issuer?: string;
}

/** The local user of a solo developer's machine: no gateway keys configured. */
export const LOCAL_PRINCIPAL: Principal = { user: 'local', project: 'default' };

export interface CallContext {
  readonly callId: string;
  readonly server: string;
  /**
   * The caller as one string, for keys that are per caller (rate-limit buckets): "local", or "<user>/<project>"
   * for a gateway identity.
   */
  readonly identity: string;
  readonly principal: Principal;
  readonly session: SessionState;
  readonly serverPolicy: ServerPolicyContext;
  /**
   * Asks the user to approve this call, inside the pending tools/call (MCP elicitation). Absent when the client
   * did not declare elicitation: a stage that needs approval then denies and says how to allow the call in config.
   */
  readonly approve?: (request: ApprovalRequest) => Promise<ApprovalAnswer>;
  /** The live definition of the tool being called, as the upstream last listed it. */
  readonly tool: Tool;
  /**
   * The arguments exactly as the client sent them. The schema check validates these: an input guardrail may
   * already have replaced a value with a placeholder that the tool's formats would reject.
   */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Per-call state: the input placeholders the restore stage puts back (see vault.ts). */
  readonly vault: RedactionVault;
  /**
   * Per-call values that one stage leaves for a later one (Envoy's dynamic metadata), each under its owner's own
   * symbol: stages share state here instead of importing each other or keeping module-level maps keyed by the call.
   */
  readonly notes: Map<symbol, unknown>;
}

/** One line of the trail that every call leaves, for the audit log and the block message. */
export interface StageRecord {
  stage: string;
  slot: Slot;
  action: 'allow' | 'modify' | 'deny' | 'error';
  /** False for a shadow-mode deny, and for an error of a fail-open stage. */
  enforced: boolean;
  ruleId?: string;
  reason?: string;
  detections?: Detection[];
  ms: number;
}
