/**
 * Effective tool access of a caller (issue 6): the project's servers ∩ the role's grants ∩ the server's own tool
 * filter (the last is applied where routes are built, server/routes.ts). A server outside that set does not exist
 * for the caller, and a tool outside it is neither listed nor callable ("Unknown tool"). The role may also name a
 * policy for its calls (per server, or for all), which wins over the project's, which wins over the server's.
 * Pure and synchronous: computed once per session and again on a config reload. Failure mode: anything not
 * granted is absent (deny by default); an unknown project or role grants nothing.
 */
import type { Config } from '../config/schema.js';
import type { Principal } from '../pipeline/types.js';
import { createNameMatcher } from '../policy/glob.js';

export interface Access {
  /** The servers the caller may use (enabled, in the project, granted to the role). */
  readonly servers: ReadonlySet<string>;
  /** Whether the role lets the caller see and call `tool` of `server` (the server's own filter is separate). */
  allowsTool(server: string, tool: string): boolean;
  /** The policy name that overrides the server's for this caller's calls to `server`, if any. */
  policyFor(server: string): string | undefined;
}

type AccessConfig = Pick<Config, 'servers' | 'projects' | 'roles'>;

/** True when the config has any user: then every client must present a gateway key. */
export function identitiesConfigured(config: Pick<Config, 'users'>): boolean {
  return Object.keys(config.users).length > 0;
}

/** Everything, as the server filters allow: the local user of a solo developer's machine. */
export function fullAccess(config: Pick<Config, 'servers'>): Access {
  const servers = new Set(
    Object.entries(config.servers)
      .filter(([, s]) => s.enabled)
      .map(([n]) => n),
  );
  return { servers, allowsTool: (server) => servers.has(server), policyFor: () => undefined };
}

export function computeAccess(config: AccessConfig, principal: Principal): Access {
  const project = config.projects[principal.project];
  const role = principal.role === undefined ? undefined : config.roles[principal.role];
  if (!project || !role) return { servers: new Set(), allowsTool: () => false, policyFor: () => undefined };
  const grants = new Map<string, { allows: (tool: string) => boolean; policy: string | undefined }>();
  for (const server of project.servers) {
    if (!config.servers[server]?.enabled) continue;
    const grant = role.servers[server] ?? role.servers['*'];
    if (!grant) continue;
    const allow = createNameMatcher(grant.tools);
    const deny = grant.deny.length > 0 ? createNameMatcher(grant.deny) : () => false;
    grants.set(server, {
      allows: (tool) => allow(tool) && !deny(tool),
      policy: grant.policy ?? role.policy ?? project.policy,
    });
  }
  return {
    servers: new Set(grants.keys()),
    allowsTool: (server, tool) => grants.get(server)?.allows(tool) ?? false,
    policyFor: (server) => grants.get(server)?.policy,
  };
}
