import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { classifyAddress, embeddedIPv4, parseAddress, parseNetwork } from './ip-address.js';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', null],
    ['2606:4700:4700::1111', null],
    ['127.0.0.1', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['10.1.2.3', 'a private-network address'],
    ['100.64.0.1', 'a carrier-grade NAT (CGNAT) address'],
    ['169.254.1.1', 'a link-local address'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['0.0.0.0', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['fc00::1', 'a unique-local address'],
    ['::ffff:127.0.0.1', 'an IPv6 form of a loopback address (127.0.0.1)'],
    ['64:ff9b::a00:1', 'an IPv6 form of a private-network address (10.0.0.1)'],
    ['2002:a00:1::', 'an IPv6 form of a private-network address (10.0.0.1)'],
    ['3fff::1', 'a reserved address'],
  ])('%s is %s', (address, what) => {
    for (let i = 0; i < 2; i++) expect(classifyAddress(ipaddr.parse(address))?.what ?? null).toBe(what);
  });

  it('passes an address inside an allowed network, but never a metadata address', () => {
    const allowed = [parseNetwork('10.0.0.0/8'), parseNetwork('169.254.0.0/16')];
    expect(classifyAddress(ipaddr.parse('10.9.9.9'), allowed)).toBeNull();
    expect(classifyAddress(ipaddr.parse('169.254.169.254'), allowed)).toMatchObject({ metadata: true });
    expect(classifyAddress(ipaddr.parse('::ffff:10.9.9.9'), allowed)).toBeNull();
  });
});

describe('helpers', () => {
  it.each([
    ['[::1]', '::1'],
    ['127.0.0.1', '127.0.0.1'],
    ['example.com', undefined],
    ['127.1', undefined],
  ])('parseAddress(%j) is %j', (host, expected) => {
    expect(parseAddress(host)?.toString()).toBe(expected);
  });

  it('reads a bare address as a full-length network and refuses garbage', () => {
    expect(parseNetwork('10.0.0.1')[1]).toBe(32);
    expect(parseNetwork('fd00::1')[1]).toBe(128);
    expect(() => parseNetwork('10.0.0.0/33')).toThrow();
    expect(() => parseNetwork('nope')).toThrow();
  });

  it('finds the IPv4 address inside IPv6 forms', () => {
    expect(embeddedIPv4(ipaddr.IPv6.parse('::ffff:1.2.3.4'))?.toString()).toBe('1.2.3.4');
    expect(embeddedIPv4(ipaddr.IPv6.parse('2001:db8::1'))).toBeUndefined();
  });
});
