import { describe, expect, it } from 'vitest';
import { fakeResolver, URL_ATTACKS, URL_BENIGN } from '../../../test/support/arg-corpus.js';
import { createUrlCheck } from './url.js';

const ctx = { cwd: '/' };

describe('url check', () => {
  it.each(URL_ATTACKS)('blocks $note ($value) as $expect', async ({ value, expect: ruleId, options }) => {
    const check = createUrlCheck(options, { resolver: fakeResolver });
    for (let i = 0; i < 2; i++) expect((await check.check(value, ctx))?.ruleId).toBe(ruleId);
  });

  it.each(URL_BENIGN)('allows $note ($value)', async ({ value, options }) => {
    const check = createUrlCheck(options, { resolver: fakeResolver });
    for (let i = 0; i < 2; i++) expect(await check.check(value, ctx)).toBeNull();
  });

  it.each([
    ['http://2130706433/', 'http://127.0.0.1/'],
    ['http://0x7f000001/', 'http://127.0.0.1/'],
    ['http://0x7f.1/', 'http://127.0.0.1/'],
    ['http://0177.0.0.1/', 'http://127.0.0.1/'],
    ['http://127.1/', 'http://127.0.0.1/'],
    ['http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/', 'http://127.0.0.1/'],
    ['http://%31%32%37.0.0.1/', 'http://127.0.0.1/'],
    ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/'],
    ['http://b\u00fccher.de/', 'http://xn--bcher-kva.de/'],
    ['http://evil.com\\@allowed.com/', 'http://evil.com/@allowed.com/'],
  ])('relies on WHATWG URL to normalise %s', (input, href) => {
    expect(new URL(input).href).toBe(href);
  });

  it.each([
    ['http://localhost./', 'localhost.', 'a trailing dot'],
    ['http://[64:ff9b::7f00:1]/', '[64:ff9b::7f00:1]', 'IPv4 inside NAT64'],
    ['gopher://0x7f000001/', '0x7f000001', 'an opaque host'],
    ['http://exa\tmple.com/', 'example.com', 'a stripped tab'],
  ])('checks what WHATWG URL leaves: %s keeps %s (%s)', (input, hostname) => {
    expect(new URL(input).hostname).toBe(hostname);
  });

  it('answers synchronously when no DNS lookup is needed', () => {
    const check = createUrlCheck({ resolve: true }, { resolver: fakeResolver });
    expect(check.check('http://127.0.0.1/', ctx)).toMatchObject({ ruleId: 'args.url.private-address' });
    expect(check.check('https://93.184.216.34/', ctx)).toBeNull();
    expect(check.check('http://public.example/', ctx)).toBeInstanceOf(Promise);
  });

  it('does not resolve names unless asked to', () => {
    const check = createUrlCheck({}, { resolver: () => Promise.reject(new Error('must not be called')) });
    expect(check.check('http://rebind.example/', ctx)).toBeNull();
  });

  it('fails closed when DNS does not answer in time', async () => {
    const never = () => new Promise<readonly string[]>(() => {});
    const check = createUrlCheck({ resolve: true, resolveTimeoutMs: 10 }, { resolver: never });
    const v = await check.check('http://slow.example/', ctx);
    expect(v).toMatchObject({ ruleId: 'args.url.unresolvable' });
    expect(v?.reason).toContain('no answer within 10 ms');
  });

  it('fails closed when the resolver answers something that is not an address', async () => {
    const check = createUrlCheck({ resolve: true }, { resolver: () => Promise.resolve(['not-an-ip']) });
    expect(await check.check('http://odd.example/', ctx)).toMatchObject({ ruleId: 'args.url.unresolvable' });
  });

  it('resolves with the system resolver by default', async () => {
    const check = createUrlCheck({ resolve: true });
    expect(await check.check('http://nonexistent.invalid/', ctx)).toMatchObject({
      ruleId: 'args.url.unresolvable',
    });
  });

  it('exempts allowAddresses, single addresses included, but never a metadata address', () => {
    const check = createUrlCheck({ allowAddresses: ['169.254.0.0/16', '::1', '10.0.0.1'] });
    expect(check.check('http://169.254.1.1/', ctx)).toBeNull();
    expect(check.check('http://[::1]/', ctx)).toBeNull();
    expect(check.check('http://10.0.0.1/', ctx)).toBeNull();
    expect(check.check('http://10.0.0.2/', ctx)).toMatchObject({ ruleId: 'args.url.private-address' });
    expect(check.check('http://169.254.169.254/', ctx)).toMatchObject({ ruleId: 'args.url.metadata' });
  });

  it('never quotes credentials, paths or queries in a reason', () => {
    const v = createUrlCheck().check('http://admin:s3cret@127.0.0.1/reset?token=abc123', ctx);
    expect(v).toMatchObject({ ruleId: 'args.url.userinfo' });
    expect(JSON.stringify(v)).not.toMatch(/s3cret|admin|token|abc123/);
    const p = createUrlCheck().check('http://10.0.0.1/reset?token=abc123', ctx);
    expect(JSON.stringify(p)).not.toMatch(/token|abc123/);
  });

  it('reads an invalid opaque host as invalid', () => {
    const check = createUrlCheck({ schemes: ['git'] });
    expect(check.check('git://a%20b/x', ctx)).toMatchObject({ ruleId: 'args.url.invalid' });
  });

  it('matches host globs case-insensitively and lets an IPv6 literal be listed without brackets', () => {
    const check = createUrlCheck({ hosts: ['API.Example.COM.', '2606:4700:4700::1111'] });
    expect(check.check('https://api.example.com/', ctx)).toBeNull();
    expect(check.check('https://[2606:4700:4700::1111]/', ctx)).toBeNull();
  });
});
