/** Session state and per-server policy context: the parts of a CallContext that outlive one call. */
import type { ResolvedServer } from '../config/load.js';
import crypto from 'node:crypto';
import type { Logger } from '../log.js';
import type { CallContext, Principal, ServerPolicyContext, SessionState } from './types.js';
import { RedactionVault } from './vault.js';

export function createSession(id: string): SessionState {
  return { id, approved: new Set(), tainted: new Map() };
}

/**
 * What the parameter checks need to know about a server, from its resolved config. Relative paths resolve against
 * the server's own cwd, else its first root (where server-filesystem resolves them, and where the loader starts a
 * stdio server without a cwd), and only without either against the gateway's working directory, which is where the
 * child then runs (issue 15, class 9).
 */
export function serverPolicyContext(server: ResolvedServer, cwd = process.cwd()): ServerPolicyContext {
  return {
    roots: server.roots,
    cwd: server.cwd ?? server.roots[0] ?? cwd,
    arguments: server.arguments,
    ...(server.credentialPaths !== 'deny' ? { credentialPaths: server.credentialPaths } : {}),
    annotations: server.config.annotations ?? {},
    ...(server.config.rateLimit ? { rateLimit: server.config.rateLimit } : {}),
  };
}

/** A server with no settings of its own: no roots, no rules (check, tests). */
export function emptyServerPolicy(cwd = process.cwd()): ServerPolicyContext {
  return { roots: [], cwd, arguments: {}, annotations: {} };
}

/**
 * The context of guarding something that is not a tools/call (a resource read, a prompt, a relayed request): a
 * fresh call id, an empty vault and notes, a pseudo tool named after `what`, and a child logger made only when
 * something logs.
 */
export function contentCallContext(opts: {
  server: string;
  what: string;
  args: Record<string, unknown>;
  signal: AbortSignal;
  identity: string;
  principal: Principal;
  session: SessionState;
  serverPolicy: ServerPolicyContext;
  log: Logger;
}): CallContext {
  const callId = crypto.randomUUID();
  const { server, what, log } = opts;
  let child: Logger | undefined;
  return {
    callId,
    server,
    identity: opts.identity,
    principal: opts.principal,
    session: opts.session,
    serverPolicy: opts.serverPolicy,
    tool: { name: what, inputSchema: { type: 'object' } },
    arguments: opts.args,
    signal: opts.signal,
    get log() {
      return (child ??= log.child({ callId, server, what }));
    },
    vault: new RedactionVault(),
    notes: new Map(),
  };
}
