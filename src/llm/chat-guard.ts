/**
 * The guardrails of the Secure AI Proxy for one policy (issue 20, "Guardrails on both sides"), format-neutral: the
 * endpoints hand it the texts of a chat request or completion as `{ where, text }` and a model's tool call as
 * `{ name, arguments }`, and get a verdict back. It writes no detector and no rule of its own: it builds the
 * policy's MCP pipeline (pipeline/assemble.ts) and runs its stages on a ToolCall or a ToolResult made from the texts,
 * so a chat request is judged exactly as a tools/call's arguments are, by the same rule ids:
 * - input: the input-guardrail slot (size, detectors, judge) over the texts as the arguments `{ texts: [...] }`;
 *   PII is replaced with placeholders held in the request's RedactionVault, as MCP does;
 * - output: the response stages (size, detectors, judge, then restore) over the texts as text parts of a result;
 * - a model's tool call: the parameter-check slot's argument stage (paths, URLs, commands, SQL; explicit rules from
 *   `toolPolicy.arguments` and inferred ones), and the schema stage when the tool's parameters schema is given.
 *   Rate limits and approvals are MCP-call concerns (the endpoint has its own limits) and do not run here.
 * - a streamed completion: stream-scan.ts with the policy's local output detectors and their actions.
 * User and system messages are read as a prompt (they set the model a task by design: guardrails/registry.ts
 * `content: 'prompt'`); texts marked `kind: 'data'` (tool results carried in the conversation) are read as tool
 * results are, where a smuggled task is an injection.
 * Failure mode: closed. A stage that throws denies with the runner's `<stage>.failed`, a budget with
 * `guard.budget-exceeded`; anything else that stops a check denies with `llm.guard-failed`.
 */
import crypto from 'node:crypto';
import type { Policy } from '../config/schema.js';
import { messageOf } from '../errors.js';
import type { JudgeRuntime } from '../guardrails/judge/runtime.js';
import { buildGuardrails } from '../guardrails/registry.js';
import type { AsyncDetector, Detection } from '../guardrails/types.js';
import { silentLogger, type Logger } from '../log.js';
import { assemblePipeline } from '../pipeline/assemble.js';
import type { CallPipeline } from '../pipeline/call-tool.js';
import { runStages } from '../pipeline/run.js';
import { createSession, emptyServerPolicy } from '../pipeline/session.js';
import {
  LOCAL_PRINCIPAL,
  type CallContext,
  type Principal,
  type RequestStage,
  type ServerPolicyContext,
  type SessionState,
  type Stage,
  type StageRecord,
  type ToolCall,
  type ToolResult,
} from '../pipeline/types.js';
import { RedactionVault } from '../pipeline/vault.js';
import {
  createStreamScanner,
  type StreamFinding,
  type StreamScanner,
  type StreamScanOptions,
  type WindowScan,
} from './stream-scan.js';

/** One text of a chat request or completion. `where` says where it sits, in the client's own format. */
export interface ChatText {
  where: string;
  text: string;
  /** `data`: a tool result carried in the conversation, read as tool results are. Default `prompt`. */
  kind?: 'prompt' | 'data';
}

/** A detection as the response's `secure_mcp_gateway_detections` carries it: no raw value, no offsets. */
export interface ChatDetection {
  rule: string;
  detector: string;
  score: number;
  excerpt: string;
  entity?: string;
  /** The `where` of the text it was found in; absent when it spans texts (or in a stream). */
  where?: string;
}

export type ChatVerdict =
  | { action: 'allow'; texts: ChatText[]; detections: ChatDetection[] }
  | { action: 'modify'; texts: ChatText[]; reason: string; detections: ChatDetection[] }
  | { action: 'deny'; ruleId: string; reason: string; stage: string; detections: ChatDetection[] };

export type ToolCallVerdict =
  { action: 'allow' } | { action: 'deny'; ruleId: string; reason: string; stage: string; detections: ChatDetection[] };

/** A function call the model returned. */
export interface ModelToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** The tool's parameters (JSON Schema) from the request's tool list: enables the schema check and inference. */
  parameters?: Record<string, unknown>;
  description?: string;
}

export interface ChatGuardOptions {
  /** The policy's name under `policies`, for messages. */
  name?: string;
  providers?: ReadonlyMap<string, AsyncDetector>;
  judges?: JudgeRuntime;
  /** Where model tool calls may point (roots, cwd) and explicit argument rules. Default: no roots, cwd here. */
  toolPolicy?: ServerPolicyContext;
  /** Stream scanner tuning (lookBack, context, batches); the scan itself comes from the policy. */
  stream?: Omit<StreamScanOptions, 'scan' | 'restore' | 'maxBytes' | 'sizeRule' | 'maxScanMs'>;
}

/** Who asks, for the stage context; all optional (a local user by default). */
export interface ChatCallMeta {
  requestId?: string;
  principal?: Principal;
  identity?: string;
  session?: SessionState;
  signal?: AbortSignal;
  log?: Logger;
  /**
   * The request's redaction vault, when its input and output are checked under different policies (two guards):
   * the output's restore must see the input's placeholders. Default: a new vault per open().
   */
  vault?: RedactionVault;
  /** This request's tool policy (a deployment's), instead of the guard's; keep one object per deployment. */
  toolPolicy?: ServerPolicyContext;
}

/** The checks of one chat request: they share its vault, so the answer can be restored. */
export interface ChatCheck {
  checkInput(texts: readonly ChatText[]): Promise<ChatVerdict>;
  checkOutput(texts: readonly ChatText[]): Promise<ChatVerdict>;
  checkToolCall(call: ModelToolCall): Promise<ToolCallVerdict>;
  /** Puts the input's placeholders back into a text of the answer. */
  restore(text: string): string;
  /** A scanner for the streamed answer, with the policy's local output detectors and this request's restore. */
  streamScanner(tuning?: Pick<StreamScanOptions, 'lookBack'>): StreamScanner;
  /** Every stage run so far, for the audit record. */
  readonly trail: readonly StageRecord[];
}

export interface ChatGuard {
  /**
   * True when the policy's output side runs a remote provider or a judge, which a stream window does not: an
   * endpoint that must apply them buffers a streamed answer and calls checkOutput on the whole text.
   */
  readonly streamSkipsRemote: boolean;
  open(meta?: ChatCallMeta): ChatCheck;
}

const GUARD_FAILED = 'llm.guard-failed';
/** The pseudo tool that chat texts are judged as; its name appears in no rule. */
const CHAT_TOOL = 'chat';
/** Where a model tool call's relative paths resolve when the deployment names no roots. */
export const TOOL_CWD = '/workspace';

export async function createChatGuard(policy: Policy, opts: ChatGuardOptions = {}): Promise<ChatGuard> {
  const deps = {
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.judges ? { judges: opts.judges } : {}),
  };
  const [prompt, data] = await Promise.all([
    assemblePipeline(policy, opts.providers, { ...deps, content: 'prompt' }),
    assemblePipeline(policy, opts.providers, { ...deps, content: 'results' }),
  ]);
  const scan = createWindowScan(policy, opts.providers);
  // The model's tool calls run on the client's side, not here: the gateway's own working directory means nothing to
  // them (and would show in block messages), so relative paths resolve against a neutral one.
  const toolPolicy = opts.toolPolicy ?? emptyServerPolicy(TOOL_CWD);
  const limits = policy.limits;
  return {
    streamSkipsRemote: policy.providers.output.length > 0 || policy.judge !== undefined,
    open(meta = {}) {
      const vault = meta.vault ?? new RedactionVault();
      const trail: StageRecord[] = [];
      const base = {
        callId: meta.requestId ?? crypto.randomUUID(),
        server: 'llm',
        identity: meta.identity ?? 'local',
        principal: meta.principal ?? LOCAL_PRINCIPAL,
        session: meta.session ?? createSession(meta.requestId ?? 'llm'),
        serverPolicy: meta.toolPolicy ?? toolPolicy,
        signal: meta.signal ?? new AbortController().signal,
        log: meta.log ?? silentLogger(),
        vault,
        notes: new Map<symbol, unknown>(),
      };
      const ctxFor = (tool: CallContext['tool'], args: Record<string, unknown>): CallContext => ({
        ...base,
        tool,
        arguments: args,
      });
      const chatTool = { name: CHAT_TOOL, inputSchema: { type: 'object' as const } };

      async function inputRun(pipeline: CallPipeline, texts: readonly ChatText[]) {
        const args = { texts: texts.map((t) => t.text) };
        const call: ToolCall = { exposedName: CHAT_TOOL, server: 'llm', tool: CHAT_TOOL, arguments: args };
        const stages = pipeline.request.filter((s) => s.slot === 'input-guardrail');
        const run = await runStages(stages, call, ctxFor(chatTool, args));
        trail.push(...run.trail);
        const out = run.value.arguments.texts;
        return { run, values: Array.isArray(out) ? (out as unknown[]) : [] };
      }

      return {
        trail,
        restore: (text) => vault.restore(text),
        async checkInput(texts) {
          try {
            const groups = [texts.filter((t) => t.kind !== 'data'), texts.filter((t) => t.kind === 'data')];
            const result = texts.map((t) => ({ ...t }));
            const detections: ChatDetection[] = [];
            const reasons: string[] = [];
            for (const [i, group] of groups.entries()) {
              if (group.length === 0) continue;
              const { run, values } = await inputRun(i === 0 ? prompt : data, group);
              const whereOf = (path?: string) => group[indexIn(path, /^arguments\.texts\[(\d+)\]/)]?.where;
              if (run.denied) return denial(run.denied, run.trail, whereOf);
              detections.push(...trailDetections(run.trail, whereOf));
              for (const r of run.trail) if (r.action === 'modify' && r.reason) reasons.push(r.reason);
              group.forEach((t, k) => {
                const v = values[k];
                if (typeof v !== 'string') throw new Error(`the input guardrails lost text ${k}`);
                result[texts.indexOf(t)]!.text = v;
              });
            }
            return verdictOf(texts, result, detections, reasons);
          } catch (error) {
            return failed(error);
          }
        },
        async checkOutput(texts) {
          try {
            const result: ToolResult = { content: texts.map((t) => ({ type: 'text' as const, text: t.text })) };
            const run = await runStages(prompt.response, result, ctxFor(chatTool, {}));
            trail.push(...run.trail);
            const whereOf = (path?: string) => texts[indexIn(path, /^content\[(\d+)\]/)]?.where;
            if (run.denied) return denial(run.denied, run.trail, whereOf);
            const out = texts.map((t, i) => {
              const part = run.value.content[i];
              if (part?.type !== 'text') throw new Error(`the output guardrails lost text ${i}`);
              return { ...t, text: part.text };
            });
            const reasons = run.trail.flatMap((r) => (r.action === 'modify' && r.reason ? [r.reason] : []));
            return verdictOf(texts, out, trailDetections(run.trail, whereOf), reasons);
          } catch (error) {
            return failed(error);
          }
        },
        async checkToolCall(call) {
          try {
            const tool = {
              name: call.name,
              inputSchema: { type: 'object' as const, ...(call.parameters ?? {}) },
              ...(call.description !== undefined ? { description: call.description } : {}),
            };
            // Without the tool's schema, the schema stage would refuse every argument as undeclared.
            const stages = prompt.request.filter(
              (s: RequestStage) =>
                s.slot === 'parameter-check' && (s.name === 'arguments' || (s.name === 'schema' && call.parameters)),
            );
            const toolCall: ToolCall = {
              exposedName: call.name,
              server: 'llm',
              tool: call.name,
              arguments: call.arguments,
            };
            const run = await runStages(stages, toolCall, ctxFor(tool, call.arguments));
            trail.push(...run.trail);
            if (run.denied) return denial(run.denied, run.trail, () => undefined);
            return { action: 'allow' };
          } catch (error) {
            return failed(error);
          }
        },
        streamScanner(tuning) {
          return createStreamScanner({
            ...opts.stream,
            ...tuning,
            scan,
            restore: (s) => vault.restore(s),
            maxScanMs: limits.maxScanMs,
            ...(limits.mode === 'enforce'
              ? { maxBytes: limits.maxResultBytes, sizeRule: 'size.max-result-bytes' }
              : {}),
          });
        },
      };
    },
  };
}

/**
 * The policy's local output detectors with their actions, as one window scan for stream-scan.ts: the same rules the
 * output guardrail stage applies (guardrails/registry.ts), minus remote providers and judges (see streamSkipsRemote).
 */
export function createWindowScan(policy: Policy, providers?: ReadonlyMap<string, AsyncDetector>): WindowScan {
  const rules = buildGuardrails(policy, providers, 'prompt').output.rules.filter((r) => r.action !== 'off');
  return (text) => {
    const out: StreamFinding[] = [];
    for (const r of rules)
      for (const d of r.detector.scan(text, 'output')) {
        const action = r.action as StreamFinding['action'];
        // A finding without a span blocks (or is recorded) for the whole window; redacting it is a no-op, as in
        // the stage, which can only replace spans.
        if (d.start !== undefined && d.end !== undefined)
          out.push({ ...d, start: d.start, end: d.end, action, mode: r.mode });
        else if (action !== 'redact') out.push({ ...d, start: 0, end: text.length, action, mode: r.mode });
      }
    return out;
  };
}

function indexIn(path: string | undefined, re: RegExp): number {
  const m = path === undefined ? null : re.exec(path);
  return m ? Number(m[1]) : -1;
}

/** A detection as a response carries it (no raw value, no offsets); `whereOf` places it among the texts. */
export function publicDetection(
  d: Detection,
  whereOf: (path?: string) => string | undefined = () => undefined,
): ChatDetection {
  const where = whereOf(d.path);
  return {
    rule: d.rule,
    detector: d.detector,
    score: d.score,
    excerpt: d.excerpt,
    ...(d.entity !== undefined ? { entity: d.entity } : {}),
    ...(where !== undefined ? { where } : {}),
  };
}

function trailDetections(trail: readonly StageRecord[], whereOf: (path?: string) => string | undefined) {
  return trail.flatMap((r) => (r.detections ?? []).map((d) => publicDetection(d, whereOf)));
}

function denial(
  denied: {
    ruleId: string;
    reason: string;
    detections?: Detection[];
    stage: Stage<never> | Stage<ToolCall> | Stage<ToolResult>;
  },
  trail: readonly StageRecord[],
  whereOf: (path?: string) => string | undefined,
): Extract<ChatVerdict, { action: 'deny' }> {
  // The deny's own detections first, then what earlier stages recorded.
  const own = (denied.detections ?? []).map((d) => publicDetection(d, whereOf));
  const earlier = trailDetections(trail.slice(0, -1), whereOf);
  return {
    action: 'deny',
    ruleId: denied.ruleId,
    reason: `blocked by ${denied.stage.slot} ${denied.ruleId}: ${denied.reason}`,
    stage: denied.stage.name,
    detections: [...own, ...earlier],
  };
}

function failed(error: unknown): Extract<ChatVerdict, { action: 'deny' }> {
  return {
    action: 'deny',
    ruleId: GUARD_FAILED,
    reason: `the guardrails could not check the message: ${messageOf(error)}`,
    stage: 'llm',
    detections: [],
  };
}

function verdictOf(
  before: readonly ChatText[],
  after: ChatText[],
  detections: ChatDetection[],
  reasons: string[],
): ChatVerdict {
  const changed = after.some((t, i) => t.text !== before[i]!.text);
  return changed
    ? { action: 'modify', texts: after, reason: reasons.join('; '), detections }
    : { action: 'allow', texts: after, detections };
}
