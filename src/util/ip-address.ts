/**
 * Address classification shared by the `kind: url` argument check (policy/args/url.ts) and the sandbox egress proxy
 * (sandbox/egress-proxy.ts): is an IP address one that reaches the machine, its network or a cloud metadata service?
 * Pure and synchronous (ipaddr.js); it never resolves names. Failure mode: an address it cannot place in a public
 * range is reported as not public (callers refuse it), never passed.
 *
 * Only globally routable unicast is public: loopback, private, link-local, unique-local, CGNAT, multicast,
 * unspecified, broadcast, reserved and documentation ranges are not, nor anything outside 2000::/3, nor Teredo or
 * local-use NAT64. IPv4 embedded in IPv6 (::ffff:0:0/96, ::/96, 64:ff9b::/96 NAT64, 2002::/16 6to4) is classified as
 * the IPv4 it carries, so `::ffff:127.0.0.1` is loopback.
 */
import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A network as ipaddr.js parses a CIDR: the address and its prefix length. */
export type Network = readonly [Address, number];

/** Cloud metadata services: never public, and an allowed range around one does not make it public. */
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
  '169.254.170.2', // AWS ECS task metadata
  '169.254.170.23', // AWS EKS pod identity
  '169.254.0.23', // Tencent Cloud
  '168.63.129.16', // Azure WireServer (a public address!)
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS EKS pod identity over IPv6
]);

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** What a non-public address is ("a loopback address"), or null when it is public or inside an `allowed` network. */
export function classifyAddress(
  addr: Address,
  allowed: readonly Network[] = [],
): { what: string; metadata: boolean } | null {
  if (METADATA_ADDRESSES.has(addr.toString())) return { what: 'a cloud metadata address', metadata: true };
  if (inNetworks(addr, allowed)) return null;
  if (addr.kind() === 'ipv4') {
    const range = addr.range();
    return range === 'unicast' ? null : { what: `${rangeName(range)} address`, metadata: false };
  }
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  const embedded = embeddedIPv4(v6, range);
  if (embedded) {
    const inner = classifyAddress(embedded, allowed);
    if (!inner) return null;
    return { what: `an IPv6 form of ${inner.what} (${embedded.toString()})`, metadata: inner.metadata };
  }
  if (range === 'unicast' && v6.match(GLOBAL_UNICAST)) return null;
  return { what: `${rangeName(range === 'unicast' ? 'reserved' : range)} address`, metadata: false };
}

/** Whether `addr` lies in one of `networks` (an IPv4 address is never inside an IPv6 network, nor the reverse). */
export function inNetworks(addr: Address, networks: readonly Network[]): boolean {
  return networks.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
}

/** The IPv4 address carried by an IPv4-mapped, IPv4-compatible, SIIT, NAT64 or 6to4 address. */
export function embeddedIPv4(v6: ipaddr.IPv6, range: string = v6.range()): ipaddr.IPv4 | undefined {
  const p = v6.parts;
  const fromParts = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (range === 'ipv4Mapped' || range === 'rfc6145') return fromParts(p[6]!, p[7]!);
  if (range === 'rfc6052' && p[2] === 0) return fromParts(p[6]!, p[7]!); // 64:ff9b::/96 (not the local-use /48)
  if (range === '6to4') return fromParts(p[1]!, p[2]!);
  if (range === 'unicast' && p.slice(0, 6).every((x) => x === 0)) return fromParts(p[6]!, p[7]!); // ::a.b.c.d
  return undefined;
}

/** "a loopback", "an unspecified", … (with the article: a reason reads "points to a loopback address"). */
function rangeName(range: string): string {
  const names: Record<string, string> = {
    unspecified: 'an unspecified',
    broadcast: 'a broadcast',
    multicast: 'a multicast',
    linkLocal: 'a link-local',
    loopback: 'a loopback',
    carrierGradeNat: 'a carrier-grade NAT (CGNAT)',
    private: 'a private-network',
    uniqueLocal: 'a unique-local',
    deprecatedSiteLocal: 'a site-local',
    rfc6052: 'a local-use NAT64',
    teredo: 'a Teredo tunnel',
    reserved: 'a reserved',
  };
  return names[range] ?? `a reserved (${range})`;
}

/** An IP literal as a URL host holds it (`[::1]` or dotted-quad IPv4), or undefined for a name. */
export function parseAddress(host: string): Address | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  return undefined;
}

/** `10.0.0.0/8`, `fd12::/16` or a single address (a /32 or /128). Throws on anything else. */
export function parseNetwork(text: string): Network {
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const addr = ipaddr.parse(text);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}
