import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { authenticate, identityOf, reauthorize, resolveStdioIdentity } from './authenticate.js';
import { KEY_PATTERN, KeyStore, parseDuration } from './keys.js';

function store(now?: () => number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-keys-'));
  return new KeyStore({ file: path.join(dir, 'keys.json'), ...(now ? { now } : {}) });
}

describe('gateway keys', () => {
  it('prints a key once and stores only its hash, mode 0600', () => {
    const s = store();
    const { key, record } = s.create({ project: 'p', user: 'Alice@Example.com' });
    expect(key).toMatch(KEY_PATTERN);
    expect(key.startsWith(`smg_${record.id}_`)).toBe(true);
    const text = fs.readFileSync(s.file, 'utf8');
    const secret = key.slice(`smg_${record.id}_`.length);
    expect(text).not.toContain(secret);
    expect(record.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.user).toBe('alice@example.com');
    expect(fs.statSync(s.file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(text)).toMatchObject({ version: 1, keys: [{ id: record.id, project: 'p' }] });
  });

  it('verifies the right secret and refuses a wrong one, a malformed one and an unknown id (twice)', () => {
    const s = store();
    const { key, record } = s.create({ project: 'p', user: 'a@example.com' });
    const other = `smg_${record.id}_${'A'.repeat(43)}`;
    const unknown = `smg_0123456789abcdef_${key.slice(-43)}`;
    for (let i = 0; i < 2; i++) {
      expect(s.verify(key)).toMatchObject({ ok: true, record: { id: record.id } });
      expect(s.verify(other)).toEqual({ ok: false, reason: 'unknown or wrong gateway key' });
      expect(s.verify(unknown)).toEqual({ ok: false, reason: 'unknown or wrong gateway key' });
      expect(s.verify('smg_nope')).toMatchObject({ ok: false, reason: expect.stringContaining('malformed') });
    }
  });

  it('refuses a revoked key, and the revocation is seen by another store on the next check', () => {
    const s = store();
    const reader = new KeyStore({ file: s.file });
    const { key, record } = s.create({ project: 'p', user: 'a@example.com' });
    expect(reader.verify(key).ok).toBe(true);
    expect(reader.refusal(record.id)).toBeUndefined();
    s.revoke(record.id);
    const r = reader.verify(key);
    expect(r).toMatchObject({ ok: false, keyId: record.id, reason: expect.stringMatching(/was revoked at \d{4}-/) });
    expect(reader.refusal(record.id)).toMatch(/was revoked at/);
    expect(reader.refusal('ffffffffffffffff')).toBe('gateway key ffffffffffffffff no longer exists');
  });

  it('refuses an expired key and a disabled one', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = store(() => now);
    const { key, record } = s.create({ project: 'p', user: 'a@example.com', expiresInMs: parseDuration('90d') });
    expect(record.expiresAt).toBe('2026-04-01T00:00:00.000Z');
    now += parseDuration('89d');
    expect(s.verify(key).ok).toBe(true);
    now += parseDuration('1d');
    expect(s.verify(key)).toMatchObject({
      ok: false,
      reason: `gateway key ${record.id} expired at 2026-04-01T00:00:00.000Z`,
    });
    expect(s.refusal(record.id)).toBe(`gateway key ${record.id} expired at 2026-04-01T00:00:00.000Z`);
    const b = s.create({ project: 'p', user: 'a@example.com' });
    s.setDisabled(b.record.id, true);
    expect(s.refusal(b.record.id)).toBe(`gateway key ${b.record.id} is disabled`);
    expect(s.verify(b.key)).toMatchObject({ ok: false, reason: `gateway key ${b.record.id} is disabled` });
    s.setDisabled(b.record.id, false);
    expect(s.verify(b.key).ok).toBe(true);
  });

  it('rotates: a new key for the same project, user and lifetime; the old one revoked', () => {
    const s = store();
    const old = s.create({ project: 'p', user: 'a@example.com', expiresInMs: parseDuration('7d') });
    const next = s.rotate(old.record.id);
    expect(next.record).toMatchObject({ project: 'p', user: 'a@example.com', rotatedFrom: old.record.id });
    expect(Date.parse(next.record.expiresAt!) - Date.parse(next.record.createdAt)).toBe(parseDuration('7d'));
    expect(s.verify(next.key).ok).toBe(true);
    expect(s.verify(old.key).ok).toBe(false);
    expect(() => s.rotate(old.record.id)).toThrow(/revoked/);
    expect(() => s.revoke('ffffffffffffffff')).toThrow(/no gateway key with id ffffffffffffffff/);
  });

  it('stamps last use at most once per interval', () => {
    let now = 1_000_000;
    const s = store(() => now);
    const { record } = s.create({ project: 'p', user: 'a@example.com' });
    expect(s.touch(record.id)).toBe(true);
    expect(s.touch(record.id)).toBe(false);
    now += 60_000;
    expect(s.touch(record.id)).toBe(true);
    expect(s.list()[0]!.lastUsedAt).toBe(new Date(now).toISOString());
  });

  it('loses no write when several processes change keys.json at once', () => {
    const s = store();
    const script = `
      import { KeyStore } from ${JSON.stringify(path.resolve('src/identity/keys.ts'))};
      const s = new KeyStore({ file: ${JSON.stringify(s.file)} });
      for (let i = 0; i < 10; i++) s.create({ project: 'p', user: 'u' + process.pid + '@example.com' });
    `;
    const tsx = import.meta.resolve('tsx');
    return Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<number>((resolve) =>
            spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: 'inherit' }).on(
              'exit',
              (code) => resolve(code ?? -1),
            ),
          ),
      ),
    ).then((codes) => {
      expect(codes).toEqual([0, 0, 0]);
      expect(s.list()).toHaveLength(30);
    });
  }, 30_000);

  it('refuses every key when keys.json is malformed, and says why', () => {
    const s = store();
    fs.writeFileSync(s.file, '{"keys": 3}');
    expect(s.verify(`smg_0123456789abcdef_${'A'.repeat(43)}`)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('expected {"version": 1'),
    });
  });

  it('takes over a lock left by a crashed process, and refuses a key record with missing fields', () => {
    const s = store();
    fs.writeFileSync(`${s.file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${s.file}.lock`, old, old);
    expect(s.create({ project: 'p', user: 'a@example.com' }).record.project).toBe('p');
    expect(fs.existsSync(`${s.file}.lock`)).toBe(false);
    fs.writeFileSync(s.file, JSON.stringify({ version: 1, keys: [{ id: 'x' }] }));
    expect(() => s.list()).toThrow('keys[0] needs id, hash, project, user and createdAt');
    fs.writeFileSync(s.file, 'not json');
    expect(() => s.list()).toThrow('not valid JSON');
    expect(s.get('x')).toBeUndefined();
  });

  it.each([
    ['90d', 90 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 1_800_000],
    ['2w', 14 * 86_400_000],
  ])('parses the duration %s (twice)', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(text)).toBe(ms);
  });
  it('refuses a bad duration', () => {
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDuration('0d')).toThrow(/positive/);
  });
});

describe('authenticate', () => {
  const config = ConfigSchema.parse({
    servers: { gh: { command: 'node' } },
    projects: { p: { servers: ['gh'] }, q: { servers: [] } },
    users: { 'Alice@example.com': {}, 'off@example.com': { disabled: true } },
    memberships: { p: { 'alice@example.com': 'dev', 'off@example.com': 'dev' } },
    roles: { dev: {} },
  });

  it('maps a valid key to its principal, with the role from the membership', () => {
    const s = store();
    const { key, record } = s.create({ project: 'p', user: 'alice@example.com' });
    const r = authenticate(config, s, key);
    expect(r).toEqual({
      ok: true,
      principal: { user: 'alice@example.com', project: 'p', role: 'dev', keyId: record.id },
    });
    if (r.ok) expect(identityOf(r.principal)).toBe('alice@example.com/p');
    expect(identityOf({ user: 'local', project: 'default' })).toBe('local');
  });

  it.each([
    [undefined, 'no gateway key was presented'],
    ['', 'no gateway key was presented'],
  ])('refuses a missing key (%j)', (key, reason) => {
    expect(authenticate(config, store(), key)).toEqual({ ok: false, reason });
  });

  it('refuses keys whose user, project or membership is gone or disabled', () => {
    const s = store();
    const cases: [string, string, RegExp][] = [
      ['off@example.com', 'p', /user off@example.com is disabled/],
      ['ghost@example.com', 'p', /user ghost@example.com is not configured/],
      ['alice@example.com', 'gone', /project gone is not configured/],
      ['alice@example.com', 'q', /user alice@example.com is not a member of project q/],
    ];
    for (const [user, project, reason] of cases) {
      const { key } = s.create({ project, user });
      expect(authenticate(config, s, key)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
    }
  });
});

describe('stdio identity and reauthorization', () => {
  const config = ConfigSchema.parse({
    servers: { gh: { command: 'node' } },
    projects: { p: { servers: ['gh'] } },
    users: { 'a@example.com': {} },
    memberships: { p: { 'a@example.com': 'dev' } },
    roles: { dev: {}, lead: {} },
  });

  it('is the local user when no users are configured, whatever the environment holds', () => {
    const none = ConfigSchema.parse({ servers: {} });
    expect(resolveStdioIdentity(none, store(), 'smg_anything')).toEqual({ mode: 'local' });
  });

  it('refuses a missing key with guidance, and a bad key with its reason', () => {
    const s = store();
    expect(resolveStdioIdentity(config, s, undefined)).toMatchObject({
      mode: 'refused',
      reason: expect.stringContaining('set SMG_GATEWAY_KEY'),
    });
    const { key, record } = s.create({ project: 'p', user: 'a@example.com' });
    s.revoke(record.id);
    expect(resolveStdioIdentity(config, s, key)).toMatchObject({ mode: 'refused', keyId: record.id });
    const ok = s.create({ project: 'p', user: 'a@example.com' });
    expect(resolveStdioIdentity(config, s, ok.key)).toMatchObject({ mode: 'key', principal: { role: 'dev' } });
  });

  it('reauthorizes a principal under a new config: a new role, or why it no longer stands', () => {
    const principal = { user: 'a@example.com', project: 'p', role: 'dev', keyId: 'k' };
    const promoted = { ...config, memberships: { p: { 'A@example.com': 'lead' } } };
    expect(reauthorize(promoted, principal)).toEqual({ ok: true, principal: { ...principal, role: 'lead' } });
    expect(reauthorize({ ...config, memberships: {} }, principal)).toMatchObject({
      ok: false,
      reason: 'user a@example.com is not a member of project p',
    });
    expect(reauthorize({ ...config, users: { 'a@example.com': { disabled: true } } }, principal)).toMatchObject({
      ok: false,
      reason: 'user a@example.com is disabled',
    });
    expect(reauthorize({ ...config, users: {} }, principal)).toMatchObject({ ok: false });
  });
});
