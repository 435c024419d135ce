/**
 * `kind: url` (issue 4): a URL argument must use an allowed scheme, name an allowed host, and (with `blockPrivate`,
 * the default) must not reach the machine, its network or a cloud metadata service (SSRF). Parameter-check phase;
 * synchronous unless `resolve: true` meets a DNS name; fail mode closed (a name that does not resolve in time is a
 * violation).
 *
 * Parsing is WHATWG `new URL()`, the parser of fetch and undici, which already folds the odd IPv4 spellings
 * (2130706433, 0x7f000001, 0x7f.1, 0177.0.0.1, 127.1, fullwidth digits, %31%32%37…) into dotted quads, maps IDN to
 * punycode and reads `\` as `/`. What it leaves is checked here:
 * - characters it silently strips or rewrites, so another parser would see a different URL: control characters,
 *   whitespace and backslashes are rejected, not repaired;
 * - userinfo (`http://allowed.com@evil.com`): rejected unless `allowUserinfo`, and never quoted in a reason;
 * - opaque hosts of non-special schemes (`gopher://0x7f000001/`), which are re-read as http hosts;
 * - trailing dots (`localhost.`), `localhost` and `*.localhost`, `.local`, `.internal`, `.home.arpa`, single-label
 *   names (resolved through the search domain) and the metadata names of AWS, GCP, Azure, Alibaba, Oracle, Tencent,
 *   DigitalOcean and Kubernetes;
 * - IPv6 literals, classified with ipaddr.js; IPv4 embedded in IPv6 (::ffff:0:0/96, ::/96, 64:ff9b::/96 NAT64,
 *   2002::/16 6to4) is classified as the IPv4 it carries. Only globally routable unicast passes: loopback, private,
 *   link-local, unique-local, CGNAT, multicast, unspecified, broadcast, reserved and documentation ranges do not,
 *   nor anything outside 2000::/3, nor Teredo or local-use NAT64.
 * With `resolve: true`, every address a DNS name resolves to must pass the same test (`lookup` with `all: true`).
 * The upstream resolves the name again when it connects, so DNS rebinding can still race this check: pin the
 * upstream's egress with a proxy or firewall where that matters.
 */
import { lookup } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { classifyAddress, parseAddress, parseNetwork } from '../../util/ip-address.js';
import { createNameMatcher } from '../glob.js';
import { typeName } from './show.js';
import type { ArgCheck, ArgCheckResult, ArgViolation, UrlRuleId } from './types.js';

export interface UrlOptions {
  /** Allowed schemes, without the colon. Default `["http", "https"]`. */
  schemes?: readonly string[];
  /** Allowed hosts as globs (`api.github.com`, `*.example.com`), matched on the ASCII (punycode) name. Default: any. */
  hosts?: readonly string[];
  /** Reject loopback, private, link-local, metadata and other non-public destinations. Default true. */
  blockPrivate?: boolean;
  /** Resolve DNS names and require every address to be public (needs `blockPrivate`). Default false. */
  resolve?: boolean;
  /** Milliseconds to wait for DNS before failing closed. Default 2000. */
  resolveTimeoutMs?: number;
  /** Allow `user:password@` in URLs. Default false. */
  allowUserinfo?: boolean;
  /** CIDRs or addresses exempt from `blockPrivate` (`10.1.2.0/24`, `fd12::/16`); metadata addresses never are. */
  allowAddresses?: readonly string[];
}

/** Not config: injected by tests (and by anything that wants its own resolver). */
export interface UrlCheckDeps {
  resolver?: (host: string) => Promise<readonly string[]>;
}

const METADATA_HOSTS = new Set([
  'metadata.google.internal', // GCP
  'metadata.goog', // GCP
  'metadata', // GCP short name
  'instance-data', // AWS
  'instance-data.ec2.internal', // AWS
  'metadata.azure.com', // Azure
  'metadata.azure.internal', // Azure
  'metadata.aliyun.com', // Alibaba
  'metadata.oraclecloud.com', // Oracle
  'metadata.tencentyun.com', // Tencent
  'metadata.digitalocean.com', // DigitalOcean
  'kubernetes.default', // the Kubernetes API from a pod
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
]);

const PRIVATE_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'localdomain'];
const DEFAULT_SCHEMES = ['http', 'https'];
const DEFAULT_TIMEOUT_MS = 2000;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/;

function violation(ruleId: UrlRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

/** A host glob in the form it will be compared to: lower case, punycode labels, no trailing dot. */
function normaliseGlob(glob: string): string {
  return glob
    .toLowerCase()
    .replace(/\.+$/, '')
    .split('.')
    .map((label) => (/[^\x20-\x7e]/.test(label) && !/[*?{}[\]]/.test(label) ? domainToASCII(label) || label : label))
    .join('.');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function systemResolver(host: string): Promise<readonly string[]> {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

export function createUrlCheck(opts: UrlOptions = {}, deps: UrlCheckDeps = {}): ArgCheck {
  const schemes = new Set((opts.schemes ?? DEFAULT_SCHEMES).map((s) => s.toLowerCase().replace(/:$/, '')));
  const hostMatcher = opts.hosts ? createNameMatcher(opts.hosts.map(normaliseGlob)) : undefined;
  const blockPrivate = opts.blockPrivate ?? true;
  const allowed = (opts.allowAddresses ?? []).map(parseNetwork);
  const resolver = deps.resolver ?? systemResolver;
  const timeoutMs = opts.resolveTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function checkResolved(host: string, shown: string): Promise<ArgCheckResult> {
    let addresses: readonly string[];
    try {
      addresses = await withTimeout(resolver(host), timeoutMs);
    } catch (error) {
      return violation('args.url.unresolvable', `${shown}: ${host} cannot be resolved (${(error as Error).message})`);
    }
    if (addresses.length === 0) return violation('args.url.unresolvable', `${shown}: ${host} has no addresses`);
    for (const address of addresses) {
      const parsed = ipaddr.isValid(address) ? ipaddr.process(address) : undefined;
      if (!parsed) return violation('args.url.unresolvable', `${shown}: ${host} resolved to a non-address`);
      const problem = classifyAddress(parsed, allowed);
      if (problem) {
        return violation(
          problem.metadata ? 'args.url.metadata' : 'args.url.private-address',
          `${shown}: ${host} resolves to ${address}, ${problem.what}`,
        );
      }
    }
    return null;
  }

  function check(value: unknown): ArgCheckResult | Promise<ArgCheckResult> {
    if (typeof value !== 'string')
      return violation('args.url.not-string', `URL must be a string, got ${typeName(value)}`);
    const bad = CONTROL_OR_SPACE.exec(value);
    if (bad) {
      const cp = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      return violation('args.url.control-char', `URL contains whitespace or a control character (${cp})`);
    }
    if (value.includes('\\')) {
      return violation('args.url.backslash', 'URL contains a backslash, which parsers disagree about (\\ or /)');
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return violation('args.url.invalid', 'argument is not an absolute URL');
    }
    const scheme = url.protocol.slice(0, -1);
    if (!schemes.has(scheme)) {
      return violation('args.url.scheme', `URL scheme ${scheme}: is not allowed (allowed: ${[...schemes].join(', ')})`);
    }
    let host = url.hostname;
    if (host !== '' && !/^(https?|wss?|ftp|file)$/.test(scheme)) {
      // An opaque host is not normalised by WHATWG; read it as an http host would be.
      try {
        host = new URL(`http://${host}/`).hostname;
      } catch {
        return violation('args.url.invalid', `URL host of ${scheme}: is not a valid host`);
      }
    }
    host = host.replace(/\.+$/, '');
    // Never echo the path, query or credentials: only scheme and host.
    const shown = `URL ${scheme}:${host === '' ? '' : `//${host}`}`;
    if ((url.username !== '' || url.password !== '') && !opts.allowUserinfo) {
      return violation(
        'args.url.userinfo',
        `${shown} carries a user name or password before the host; what precedes "@" is not the host`,
      );
    }
    if (hostMatcher) {
      const bare = host.startsWith('[') ? host.slice(1, -1) : host;
      if (host === '' || !(hostMatcher(host) || hostMatcher(bare))) {
        return violation('args.url.host-not-allowed', `${shown}: host ${host || '(none)'} is not in the allowed hosts`);
      }
    }
    if (!blockPrivate || host === '') return null;

    const address = parseAddress(host);
    if (address) {
      const problem = classifyAddress(address, allowed);
      if (!problem) return null;
      return violation(
        problem.metadata ? 'args.url.metadata' : 'args.url.private-address',
        `${shown} points to ${problem.what}`,
      );
    }
    if (METADATA_HOSTS.has(host)) return violation('args.url.metadata', `${shown} names a cloud metadata service`);
    const suffix = PRIVATE_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
    if (suffix) return violation('args.url.private-host', `${shown}: .${suffix} names are local, not public`);
    if (!host.includes('.')) {
      return violation('args.url.private-host', `${shown}: a single-label name resolves through the local network`);
    }
    return opts.resolve ? checkResolved(host, shown) : null;
  }

  return { kind: 'url', check };
}
