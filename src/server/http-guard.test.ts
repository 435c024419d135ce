import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BodyTooLarge, bearerKey, hostName, hostRefusal, originRefusal, readBody } from './http-guard.js';

const policy = {
  allowedHosts: ['gw.example.com', 'other.example.com:8443'],
  allowedOrigins: ['https://app.example.com'],
};

describe('http guard', () => {
  it.each([
    ['localhost:8787', true],
    ['127.0.0.1', true],
    ['[::1]:9000', true],
    ['gw.example.com:1234', true],
    ['GW.example.com', true],
    ['other.example.com:8443', true],
    ['other.example.com:9999', false],
    ['attacker.example:8787', false],
    ['127.0.0.1.nip.io', false],
    ['', false],
  ])('Host %j allowed: %s (twice)', (host, ok) => {
    for (let i = 0; i < 2; i++) expect(hostRefusal(host, policy) === undefined).toBe(ok);
  });

  it.each([
    [undefined, true],
    ['http://localhost:3000', true],
    ['https://127.0.0.1', true],
    ['http://[::1]:8080', true],
    ['https://app.example.com', true],
    ['https://app.example.com.evil.test', false],
    ['http://attacker.example', false],
    ['null', false],
    ['file://localhost', false],
  ])('Origin %j allowed: %s (twice)', (origin, ok) => {
    for (let i = 0; i < 2; i++) expect(originRefusal(origin, policy) === undefined).toBe(ok);
  });

  it('names the setting in a refusal', () => {
    expect(hostRefusal('evil.test', policy)).toBe(
      'Host "evil.test" is not allowed (serve.allowedHosts; DNS-rebinding protection)',
    );
    expect(hostRefusal(undefined, policy)).toBe('the request has no Host header');
    expect(originRefusal('http://evil.test', policy)).toContain('serve.allowedOrigins');
  });

  it.each([
    ['Bearer smg_abc_def', 'smg_abc_def'],
    ['bearer   smg_x ', 'smg_x'],
    ['Basic dXNlcg==', undefined],
    ['Bearer', undefined],
    [undefined, undefined],
  ])('bearer %j → %j', (header, key) => {
    expect(bearerKey(header)).toBe(key);
    expect(bearerKey(header)).toBe(key);
  });

  it('strips ports from host names', () => {
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('Example.com:80')).toBe('example.com');
    expect(hostName('example.com')).toBe('example.com');
  });

  const request = (headers: Record<string, string> = {}) => {
    const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
    s.headers = headers;
    return s;
  };

  it('reads a body within the limit', async () => {
    const req = request();
    const p = readBody(req as unknown as IncomingMessage, 10);
    req.end(Buffer.from('0123456789'));
    expect((await p).toString()).toBe('0123456789');
  });

  it('refuses a body over the limit, by Content-Length or by counting', async () => {
    await expect(readBody(request({ 'content-length': '11' }) as unknown as IncomingMessage, 10)).rejects.toThrow(
      BodyTooLarge,
    );
    const req = request();
    const p = readBody(req as unknown as IncomingMessage, 10);
    req.write(Buffer.from('012345'));
    req.end(Buffer.from('6789ab'));
    await expect(p).rejects.toThrow('larger than 10 bytes (serve.maxBodyBytes)');
  });
});
