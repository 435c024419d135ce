/**
 * The sandbox profile `init` and `install` propose for an imported stdio server (issue 19), and why, from its
 * command line alone: no registry lookup, no network.
 * - a server known to call an API gets that API's hosts (the table below), nothing else;
 * - a server that browses the web (fetch, puppeteer, playwright) gets network "all": there is no list of hosts to
 *   give it, so scan and doctor keep warning (sandbox.network-all) until someone narrows it;
 * - an `npx`/`bunx` or `uvx`/`pipx` launcher downloads the server first: its registry joins the allow list, and it
 *   gets a persistent home of its own for the download cache;
 * - `docker` is proposed unconfined (`false`): the container is its confinement, and the docker client needs the
 *   daemon's socket, which a sandbox must not hand out (that socket is root on the machine);
 * - anything else: `true`, the default profile (no network, its roots read-write, an empty home).
 * A file server's directories become its `roots` in import-servers.ts; the default profile mounts those read-write.
 *
 * Failure mode: none at run time (pure). A server the table does not know gets no network, which is the safe
 * mistake: it fails visibly (sandbox.egress.* in the audit log), and the user adds the host.
 */
import path from 'node:path';
import type { SandboxNetwork } from '../sandbox/types.js';

export interface KnownService {
  /** Matches a word of the server's package or program name (`@modelcontextprotocol/server-github`, `mcp-server-fetch`). */
  name: RegExp;
  network: SandboxNetwork;
  /** Why, for the line `init` prints. */
  why: string;
}

/** Hosts of the servers we know; first match wins. Words are split on - _ / @ . so "github" never matches "githubx". */
export const KNOWN_SERVICES: readonly KnownService[] = [
  { name: /^github$/, network: { allow: ['api.github.com'] }, why: 'it calls the GitHub API' },
  { name: /^gitlab$/, network: { allow: ['gitlab.com'] }, why: 'it calls the GitLab API' },
  { name: /^slack$/, network: { allow: ['slack.com', '*.slack.com'] }, why: 'it calls the Slack API' },
  { name: /^linear$/, network: { allow: ['api.linear.app'] }, why: 'it calls the Linear API' },
  { name: /^notion(hq)?$/, network: { allow: ['api.notion.com'] }, why: 'it calls the Notion API' },
  { name: /^sentry$/, network: { allow: ['sentry.io'] }, why: 'it calls the Sentry API' },
  { name: /^brave$/, network: { allow: ['api.search.brave.com'] }, why: 'it calls the Brave Search API' },
  {
    name: /^(fetch|puppeteer|playwright)$/,
    network: 'all',
    why: 'it browses the web: any host (scan and doctor warn)',
  },
];

const NPM_LAUNCHERS = new Set(['npx', 'bunx']);
const PYPI_LAUNCHERS = new Set(['uvx', 'pipx']);
export const NPM_REGISTRY = ['registry.npmjs.org'];
export const PYPI_REGISTRY = ['pypi.org', 'files.pythonhosted.org'];

export interface SandboxProposal {
  /** What goes into servers.<name>.sandbox. */
  sandbox: true | false | { network?: SandboxNetwork; home?: 'persistent' };
  /** One line for `init`: which profile and why. */
  why: string;
}

/** A program's name without its folder or a Windows extension: `/usr/bin/npx` and `npx.cmd` are both `npx`. */
function programOf(command: string): string {
  return path
    .basename(command.replace(/\\/g, '/'))
    .replace(/\.(cmd|exe|bat|ps1)$/i, '')
    .toLowerCase();
}

/** The words of the name that says what the server is: a launcher's package, else the program and its script. */
function nameWords(program: string, args: readonly string[]): string[] {
  const operands = args.filter((a) => !a.startsWith('-'));
  const launched = NPM_LAUNCHERS.has(program) || PYPI_LAUNCHERS.has(program);
  // After a launcher the first operand is the package (pipx: `pipx run pkg`); a plain command names itself and
  // its first operand is its script or module (`node …/server-github/dist/index.js`, `python -m mcp_server_fetch`).
  const named = launched ? operands.filter((a) => a !== 'run').slice(0, 1) : [program, ...operands.slice(0, 1)];
  return named
    .map((n) => n.replace(/(.)@[^/@]*$/, '$1'))
    .flatMap((n) => n.toLowerCase().split(/[-_/@.\\]+/))
    .filter(Boolean);
}

export function proposeSandbox(command: string, args: readonly string[]): SandboxProposal {
  const program = programOf(command);
  if (program === 'docker' || program === 'podman')
    return {
      sandbox: false,
      why: `${program} runs it in a container of its own, and a sandbox cannot hand ${program} its daemon's socket`,
    };
  const words = nameWords(program, args);
  const known = KNOWN_SERVICES.find((k) => words.some((w) => k.name.test(w)));
  const registry = NPM_LAUNCHERS.has(program) ? NPM_REGISTRY : PYPI_LAUNCHERS.has(program) ? PYPI_REGISTRY : [];
  const reasons: string[] = [];
  let network: SandboxNetwork = 'none';
  if (known) {
    network = known.network;
    reasons.push(known.why);
  }
  if (registry.length > 0) {
    if (network !== 'all') network = { allow: [...(network === 'none' ? [] : network.allow), ...registry] };
    reasons.push(`${program} downloads it from ${registry.join(' and ')} and keeps its cache in a persistent home`);
  }
  if (network === 'none' && registry.length === 0)
    return { sandbox: true, why: 'the default profile: no network, its roots read-write, an empty home' };
  return {
    sandbox: { network, ...(registry.length > 0 ? { home: 'persistent' as const } : {}) },
    why: reasons.join('; '),
  };
}

/** `network none`, `network all`, `allow api.github.com, registry.npmjs.org`: the profile in a few words. */
export function describeProposal(p: SandboxProposal): string {
  if (p.sandbox === false) return 'unconfined ("sandbox": false)';
  if (p.sandbox === true) return 'sandbox: default (no network)';
  const n = p.sandbox.network ?? 'none';
  const net = typeof n === 'string' ? `network ${n}` : `allow ${n.allow.join(', ')}`;
  return `sandbox: ${net}${p.sandbox.home === 'persistent' ? ', persistent home' : ''}`;
}
