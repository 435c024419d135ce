/** Session state and per-server policy context: the parts of a CallContext that outlive one call. */
import type { ResolvedServer } from '../config/load.js';
import type { ServerPolicyContext, SessionState } from './types.js';

export function createSession(id: string): SessionState {
  return { id, approved: new Set(), tainted: new Map() };
}

/** What the parameter checks need to know about a server, from its resolved config. */
export function serverPolicyContext(server: ResolvedServer, cwd = process.cwd()): ServerPolicyContext {
  return {
    roots: server.roots,
    cwd: server.cwd ?? cwd,
    arguments: server.arguments,
    annotations: server.config.annotations ?? {},
    ...(server.config.rateLimit ? { rateLimit: server.config.rateLimit } : {}),
  };
}

/** A server with no settings of its own: no roots, no rules (check, tests). */
export function emptyServerPolicy(cwd = process.cwd()): ServerPolicyContext {
  return { roots: [], cwd, arguments: {}, annotations: {} };
}
