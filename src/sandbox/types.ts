/**
 * What the sandbox (issue 19) tells the rest of the gateway: the resolved profile a stdio server runs under, and the
 * events it reports. The pool turns events into audit records (`kind: "sandbox"`), metrics and log lines; nothing in
 * this folder decides what a tool call may do.
 */

/** How a server reaches the network: not at all, only listed hosts through the gateway's egress proxy, or freely. */
export type SandboxNetwork = 'none' | 'all' | { allow: string[] };

/** A server's sandbox profile with every path absolute (config/load.ts). */
export interface ResolvedSandbox {
  /** Refuse to start the server when it cannot be sandboxed (no bwrap, unsupported system), instead of running it unconfined. */
  required: boolean;
  network: SandboxNetwork;
  /** How the server's roots are mounted. */
  roots: 'rw' | 'ro';
  readOnly: string[];
  readWrite: string[];
  /** empty: a tmpfs home; persistent: <home>/sandbox/<server>/home, private to this server. */
  home: 'empty' | 'persistent';
  limits: { memoryMb?: number; processes?: number };
  /** Stop the server after this many egress denials within `stopWindowSeconds`. */
  stopAfterDenials?: number;
  stopWindowSeconds: number;
  /** Static name → address map the egress proxy consults before DNS (top-level sandbox.resolve). */
  resolve: Record<string, string>;
  /** The bubblewrap program (top-level sandbox.bwrap); default "bwrap" on PATH. */
  bwrap?: string;
}

/** A connection the egress proxy refused. */
export interface EgressDenial {
  host: string;
  port: number;
  ruleId: string;
  reason: string;
}

export type SandboxEvent =
  | ({ event: 'egress-denied'; server: string } & EgressDenial)
  | { event: 'stopped'; server: string; reason: string; denials: number }
  | { event: 'unconfined'; server: string; reason: string }
  | { event: 'refused'; server: string; reason: string };

/** The rule ids the sandbox can produce (docs/sandbox.md lists them). */
export const SANDBOX_RULES = [
  'sandbox.egress.not-allowed',
  'sandbox.egress.private-address',
  'sandbox.egress.unresolvable',
  'sandbox.egress.bad-request',
  'sandbox.unavailable',
  'sandbox.stopped',
] as const;

/**
 * A server that must be sandboxed and cannot be, or that its sandbox policy stopped. The message starts with the
 * rule id and names the cause. It lives here, not in launch.ts, so that upstream/ recognises it without loading the
 * launcher at start-up.
 */
export class SandboxRefusedError extends Error {
  constructor(
    readonly ruleId: 'sandbox.unavailable' | 'sandbox.stopped',
    detail: string,
  ) {
    super(`${ruleId}: ${detail}`);
    this.name = 'SandboxRefusedError';
  }
}
