/**
 * The config contract of the sandbox (issue 19): `servers.<name>.sandbox` (true, false or a profile) and the
 * top-level `sandbox` section (the profile for stdio servers that name none, the egress proxy's static resolve map,
 * the bwrap path). Pure zod, imported by config/schema.ts; the launcher is sandbox/launch.ts. An allow entry that is
 * not a host, wildcard, address or CIDR is a config error: a typo must not open or close the network silently.
 */
import net from 'node:net';
import { z } from 'zod';

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** Why an egress allow entry is malformed, or undefined when it is fine. */
export function egressEntryProblem(entry: string): string | undefined {
  let host = entry;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
    if (!net.isIPv6(host)) return `"${entry}": expected an IPv6 address in brackets`;
  } else if (!net.isIPv6(entry.split('/')[0]!)) {
    const colon = entry.lastIndexOf(':');
    if (colon !== -1) {
      host = entry.slice(0, colon);
      port = entry.slice(colon + 1);
    }
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    return `"${entry}": the port must be 1-65535`;
  const slash = host.indexOf('/');
  if (slash !== -1) {
    const addr = host.slice(0, slash);
    const bits = Number(host.slice(slash + 1));
    const max = net.isIPv4(addr) ? 32 : net.isIPv6(addr) ? 128 : -1;
    if (max === -1 || !Number.isInteger(bits) || bits < 0 || bits > max || !/^\d+$/.test(host.slice(slash + 1)))
      return `"${entry}": expected a CIDR such as 10.0.0.0/8`;
    return undefined;
  }
  if (net.isIP(host)) return undefined;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  const labels = name.replace(/\.$/, '').split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((l) => HOST_LABEL.test(l)))
    return `"${entry}": expected a host name (api.github.com), a wildcard (*.slack.com), an address or a CIDR, with an optional :port`;
  return undefined;
}

const EgressEntrySchema = z.string().superRefine((entry, ctx) => {
  const problem = egressEntryProblem(entry);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const SandboxNetworkSchema = z
  .union([
    z.enum(['none', 'all']),
    z
      .object({
        allow: z
          .array(EgressEntrySchema)
          .min(1)
          .describe(
            'Hosts the server may reach through the gateway’s egress proxy: "api.github.com", "*.slack.com" (any subdomain), "host:443", an address, or a CIDR. A name that resolves to a loopback, private, link-local or metadata address is refused unless that address (or a CIDR around it) is listed too.',
          ),
      })
      .strict(),
  ])
  .describe(
    'none: no network at all (its own empty network namespace); {"allow": [...]}: only the listed hosts, through the gateway’s egress proxy, enforced by the namespace (a program that ignores the proxy variables has no network); all: the machine’s network, unconfined.',
  );

const limit = (what: string, min: number, max: number) => z.number().int().min(min).max(max).optional().describe(what);

export const SandboxProfileSchema = z
  .object({
    required: z
      .boolean()
      .default(false)
      .describe(
        'Refuse to start this server when it cannot be sandboxed (bwrap missing or unusable, not Linux), with the reason in its status, instead of running it unconfined with a warning.',
      ),
    network: SandboxNetworkSchema.default('none'),
    roots: z
      .enum(['rw', 'ro'])
      .default('rw')
      .describe('How the server’s "roots" are mounted in its sandbox: read-write (default) or read-only.'),
    readOnly: z
      .array(z.string())
      .default([])
      .describe('More files or folders visible read-only (relative to the config file; "~" is the home folder).'),
    readWrite: z
      .array(z.string())
      .default([])
      .describe('More files or folders visible read-write (relative to the config file; "~" is the home folder).'),
    home: z
      .enum(['empty', 'persistent'])
      .default('empty')
      .describe(
        'empty: an empty home that is gone when the server stops; persistent: a folder of its own, <home>/sandbox/<server>/home, kept across restarts (npx and uvx caches). Never the user’s home.',
      ),
    limits: z
      .object({
        memoryMb: limit(
          'Memory of the whole sandbox in MiB (a cgroup where the gateway may make one, else per process).',
          16,
          1_048_576,
        ),
        processes: limit('Processes and threads in the sandbox at once (a fork bomb stops there).', 4, 100_000),
      })
      .strict()
      .default({})
      .describe(
        'Resource limits. A limit that cannot be enforced on this machine refuses the server (it is never silently dropped).',
      ),
    stopAfterDenials: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe(
        'Stop the server when its egress is denied this many times within stopWindowSeconds (sandbox.stopped): a server that keeps trying to reach a host it may not is shut down until the gateway restarts. Default: never.',
      ),
    stopWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('The window of stopAfterDenials, in seconds.'),
  })
  .strict()
  .describe('A sandbox profile (docs/sandbox.md).');

export type SandboxProfile = z.output<typeof SandboxProfileSchema>;

export const ServerSandboxSchema = z
  .union([z.boolean(), SandboxProfileSchema])
  .describe(
    'stdio: run this server in a sandbox (Linux, bubblewrap): true is the default profile (no network, its roots read-write, an empty home, the system read-only); false runs it unconfined; an object is a profile. Default: the top-level sandbox.default.',
  );

export const SandboxConfigSchema = z
  .object({
    default: z
      .union([z.boolean(), SandboxProfileSchema])
      .default(false)
      .describe(
        'The profile of stdio servers that have no "sandbox" of their own: true is the default profile, an object a profile. Default false (unconfined; doctor and scan list them). `init` writes a profile per server instead.',
      ),
    resolve: z
      .record(
        z.string().regex(/^[a-z0-9.-]+$/i, 'a host name'),
        z.string().refine((a) => net.isIP(a) !== 0, 'an IPv4 or IPv6 address'),
      )
      .default({})
      .describe(
        'Names the egress proxy resolves to a fixed address before asking DNS, like curl --resolve (split-horizon hosts, tests).',
      ),
    bwrap: z.string().optional().describe('The bubblewrap program. Default: "bwrap" found on PATH.'),
  })
  .strict()
  .describe('Sandboxed stdio servers (docs/sandbox.md).');

export type SandboxConfig = z.output<typeof SandboxConfigSchema>;
