/** Session state and per-server policy context: the parts of a CallContext that outlive one call. */
import type { ResolvedServer } from '../config/load.js';
import type { ServerPolicyContext, SessionState } from './types.js';

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
