/**
 * The identity model in config (issue 6): projects (the servers a team may use and its default policy), users (by
 * email), memberships (user × project → role) and roles (which servers and tool globs a role may call, and with
 * which policy). zod-checked like the rest of the config; the cross-references (a project's unknown server, a
 * membership's unknown user, project or role, a role's unknown server or policy) are checked by
 * `checkIdentityRefs`, called from ConfigSchema's superRefine, so that a bad reference is CONFIG_INVALID with its
 * exact JSON path and the gateway never starts on it.
 */
import { z } from 'zod';

/** Project and role names appear in logs, rate-limit keys and CLI arguments: keep them plain. */
export const IDENTITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MESSAGE = 'a name: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** A deliberately simple email shape: one "@", no spaces, a dot in the domain. Emails are compared lower-cased. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const ProjectSchema = z
  .object({
    description: z.string().optional().describe('Free text for humans.'),
    servers: z
      .array(z.string().min(1))
      .default([])
      .describe('The servers (names under "servers") this project may use. No other server exists for its members.'),
    policy: z
      .string()
      .optional()
      .describe('The policy for this project’s calls, instead of each server’s own. A role’s policy wins over it.'),
  })
  .strict()
  .describe('A project: its own set of servers, and its own upstream processes in `serve`.');

export const UserSchema = z
  .object({
    name: z.string().optional().describe('Display name.'),
    disabled: z
      .boolean()
      .default(false)
      .describe('A disabled user’s keys are refused, with the reason; the user and keys stay on record.'),
  })
  .strict()
  .describe('A user, identified by the email that is the key of this entry.');

export const RoleGrantSchema = z
  .object({
    tools: z
      .array(z.string().min(1))
      .default(['*'])
      .describe('Glob patterns of the upstream tool names this role may see and call on the server. Default "*".'),
    deny: z
      .array(z.string().min(1))
      .default([])
      .describe('Glob patterns of tools this role may never use on the server. Deny wins over tools.'),
    policy: z.string().optional().describe('The policy for this role’s calls to this server (wins over the role’s).'),
  })
  .strict();

export const RoleSchema = z
  .object({
    description: z.string().optional().describe('Free text for humans.'),
    servers: z
      .record(z.string().min(1), RoleGrantSchema)
      .default({})
      .describe(
        'Per server (or "*" for every server of the project): the tool globs the role may use. A server the role has no grant for does not exist for it.',
      ),
    policy: z.string().optional().describe('The policy for this role’s calls, instead of the project’s or server’s.'),
    deployments: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Glob patterns of the AI proxy’s deployments (llm.deployments) this role may use as "model"; none by default.',
      ),
  })
  .strict()
  .describe(
    'A role: which servers and tools its members may use, and under which policy. Effective access = project servers ∩ role grants ∩ the server’s own tool filter.',
  );

export const IdentityConfigShape = {
  projects: z
    .record(z.string().regex(IDENTITY_NAME_PATTERN, NAME_MESSAGE), ProjectSchema)
    .default({})
    .describe('Projects by name. Each has its own servers; members see only those.'),
  users: z
    .record(z.string().regex(EMAIL_PATTERN, 'an email address'), UserSchema)
    .default({})
    .describe(
      'Users by email. With at least one user, every client needs a gateway key (SMG_GATEWAY_KEY on stdio, a bearer key in `serve`); with none, stdio runs as the local user.',
    ),
  memberships: z
    .record(
      z.string().regex(IDENTITY_NAME_PATTERN, NAME_MESSAGE),
      z.record(z.string().regex(EMAIL_PATTERN, 'an email address'), z.string().min(1)),
    )
    .default({})
    .describe('Per project: user email → role name. A key works only for a user who is a member of its project.'),
  roles: z
    .record(z.string().regex(IDENTITY_NAME_PATTERN, NAME_MESSAGE), RoleSchema)
    .default({})
    .describe('Roles by name, referred to by memberships.'),
};

export type ProjectConfig = z.output<typeof ProjectSchema>;
export type RoleConfig = z.output<typeof RoleSchema>;
export type RoleGrant = z.output<typeof RoleGrantSchema>;

/** The identity part of the parsed config. */
export interface IdentityConfig {
  projects: Record<string, ProjectConfig>;
  users: Record<string, z.output<typeof UserSchema>>;
  memberships: Record<string, Record<string, string>>;
  roles: Record<string, RoleConfig>;
  servers: Record<string, unknown>;
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Cross-references of the identity model; `policies` are the known policy names. */
export function checkIdentityRefs(config: IdentityConfig, policies: ReadonlySet<string>, ctx: IssueSink): void {
  const known = (what: string, set: Iterable<string>) => `(known ${what}: ${[...set].join(', ') || 'none'})`;
  const servers = Object.keys(config.servers);
  const policy = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !policies.has(name))
      ctx.addIssue({ code: 'custom', path, message: `no policy named "${name}" ${known('policies', policies)}` });
  };
  for (const [pname, project] of Object.entries(config.projects)) {
    project.servers.forEach((s, i) => {
      if (!(s in config.servers))
        ctx.addIssue({
          code: 'custom',
          path: ['projects', pname, 'servers', i],
          message: `no server named "${s}" ${known('servers', servers)}`,
        });
    });
    policy(project.policy, ['projects', pname, 'policy']);
  }
  for (const [rname, role] of Object.entries(config.roles)) {
    for (const [server, grant] of Object.entries(role.servers)) {
      if (server !== '*' && !(server in config.servers))
        ctx.addIssue({
          code: 'custom',
          path: ['roles', rname, 'servers', server],
          message: `no server named "${server}" ${known('servers', servers)}`,
        });
      policy(grant.policy, ['roles', rname, 'servers', server, 'policy']);
    }
    policy(role.policy, ['roles', rname, 'policy']);
  }
  const users = new Set(Object.keys(config.users).map((u) => u.toLowerCase()));
  for (const [pname, members] of Object.entries(config.memberships)) {
    if (!(pname in config.projects))
      ctx.addIssue({
        code: 'custom',
        path: ['memberships', pname],
        message: `no project named "${pname}" ${known('projects', Object.keys(config.projects))}`,
      });
    for (const [email, role] of Object.entries(members)) {
      if (!users.has(email.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['memberships', pname, email],
          message: `no user "${email}" under "users"`,
        });
      if (!(role in config.roles))
        ctx.addIssue({
          code: 'custom',
          path: ['memberships', pname, email],
          message: `no role named "${role}" ${known('roles', Object.keys(config.roles))}`,
        });
    }
  }
  const lower = new Map<string, string>();
  for (const email of Object.keys(config.users)) {
    const prev = lower.get(email.toLowerCase());
    if (prev !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['users', email],
        message: `the same user as "${prev}" (emails are compared without case)`,
      });
    lower.set(email.toLowerCase(), email);
  }
}
