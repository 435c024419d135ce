/**
 * `serve` session quotas (issue 15, class 13), end to end with the built gateway and real Streamable HTTP SDK
 * clients: one key at its quota cannot keep another key out; its next session evicts its own least recently used
 * idle session, which then gets 404; a full project refuses with 429 naming serve.maxSessionsPerProject while
 * another project still gets in; at the global cap an idle session of the key holding the most sessions is evicted
 * for a different key, and when none is idle the refusal is 503 naming serve.maxSessions. Every eviction is logged
 * and audited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { identityConfig, makeKey } from '../helpers/identity.js';
import { httpClient, INIT, MCP_HEADERS, rawRequest, startServe, type ServeProcess } from '../helpers/serve.js';

let running: ServeProcess | undefined;
afterEach(async () => {
  if (running) expect(await running.stop()).toBe(0);
  running = undefined;
});

async function start(serve: object) {
  const config = { ...identityConfig(), serve };
  const home = tempDir();
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  const keys = {
    a: makeKey(home, 'one', 'alice@example.com'),
    a2: makeKey(home, 'two', 'alice@example.com'),
    b: makeKey(home, 'two', 'bob@example.com'),
    c: makeKey(home, 'one', 'alice@example.com'),
  };
  running = await startServe(config, { home });
  return { home, keys, url: running.url };
}

type Session = Awaited<ReturnType<typeof httpClient>>;

/** The HTTP status and JSON-RPC error of a refused initialize (raw, so the body can be read). */
async function refusedOpen(url: string, key: string) {
  const r = await rawRequest(url, { headers: { ...MCP_HEADERS, Authorization: `Bearer ${key}` }, body: INIT });
  return {
    status: r.status,
    retryAfter: r.headers['retry-after'],
    error: (JSON.parse(r.body) as { error: { message: string } }).error,
  };
}

/** The HTTP status of a request the SDK client failed with, or 'ok'. */
async function statusOf(s: Session): Promise<number | string> {
  try {
    await s.client.listTools();
    return 'ok';
  } catch (error) {
    return (error as { code?: number }).code ?? String(error);
  }
}

const touch = (...sessions: Session[]) => Promise.all(sessions.map((s) => s.client.listTools()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve session quotas', () => {
  it("keeps one key from locking out another, and evicts the key's own least recently used idle session", async () => {
    const { home, keys, url } = await start({ maxSessionsPerKey: 2, evictIdleAfterMs: 2500 });
    const a1 = await httpClient(url, keys.a.key);
    const a2 = await httpClient(url, keys.a.key);
    // Key A is at its quota and both of its sessions were just used: nothing to evict, so 429 names the quota.
    await touch(a1, a2);
    const refused = await refusedOpen(url, keys.a.key);
    expect(refused).toMatchObject({ status: 429, retryAfter: '3' });
    expect(refused.error.message).toMatch(/too many sessions for this gateway key \(serve\.maxSessionsPerKey = 2\)/);
    // Another key still gets a session.
    const b1 = await httpClient(url, keys.b.key);
    expect(await statusOf(b1)).toBe('ok');

    // Both of A's sessions go idle; a2 is used again, so a1 is the least recently used one.
    await sleep(2600);
    await touch(a2);
    await sleep(2600);
    const a3 = await httpClient(url, keys.a.key);
    expect(await statusOf(a3)).toBe('ok');
    // The evicted session is unknown now: 404, as the Streamable HTTP spec says for an unknown session.
    expect(await statusOf(a1)).toBe(404);
    expect(await statusOf(a2)).toBe('ok');
    expect(await statusOf(b1)).toBe('ok');

    await waitFor(() => running!.logs().some((l) => l.event === 'session.evicted'));
    const evicted = running!.logs().filter((l) => l.event === 'session.evicted');
    expect(evicted).toEqual([
      expect.objectContaining({
        session: a1.transport.sessionId,
        keyId: keys.a.id,
        forKeyId: keys.a.id,
        quota: 'serve.maxSessionsPerKey',
      }),
    ]);
    await waitFor(() => {
      const audit = path.join(home, 'audit.jsonl');
      return fs.existsSync(audit) && fs.readFileSync(audit, 'utf8').includes('"kind":"session"');
    });
    const records = fs
      .readFileSync(path.join(home, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.kind === 'session');
    expect(records).toEqual([
      expect.objectContaining({ event: 'evicted', session: a1.transport.sessionId, quota: 'serve.maxSessionsPerKey' }),
    ]);
  }, 60_000);

  it('refuses a full project with 429 naming serve.maxSessionsPerProject, while another project gets in', async () => {
    const { keys, url } = await start({ maxSessionsPerProject: 2, evictIdleAfterMs: 60_000 });
    await httpClient(url, keys.a2.key);
    await httpClient(url, keys.b.key);
    // Project two is full; alice's key holds no more than bob's, and nothing is idle: refused.
    const refused = await refusedOpen(url, keys.a2.key);
    expect(refused.status).toBe(429);
    expect(refused.error.message).toMatch(/project two \(serve\.maxSessionsPerProject = 2\)/);
    expect(await statusOf(await httpClient(url, keys.a.key))).toBe('ok');
    expect(running!.logs().filter((l) => l.event === 'session.evicted')).toEqual([]);
  }, 60_000);

  it('at the global cap evicts an idle session of the key holding the most, else refuses with 503', async () => {
    const { keys, url } = await start({ maxSessions: 3, evictIdleAfterMs: 2500 });
    const a1 = await httpClient(url, keys.a.key);
    const a2 = await httpClient(url, keys.a.key);
    const b1 = await httpClient(url, keys.b.key);
    await touch(a1, a2, b1);
    const refused = await refusedOpen(url, keys.c.key);
    expect(refused.status).toBe(503);
    expect(refused.error.message).toMatch(/\(serve\.maxSessions = 3\)/);

    await sleep(2600);
    await touch(a2);
    await sleep(2600);
    // A holds 2, B 1, C none: A's least recently used idle session goes, not B's (idle longer, but B holds less).
    const c1 = await httpClient(url, keys.c.key);
    expect(await statusOf(a1)).toBe(404);
    expect(await statusOf(b1)).toBe('ok');
    expect(await statusOf(a2)).toBe('ok');
    expect(await statusOf(c1)).toBe('ok');
    await waitFor(() => running!.logs().some((l) => l.event === 'session.evicted'));
    expect(running!.logs().filter((l) => l.event === 'session.evicted')).toEqual([
      expect.objectContaining({ keyId: keys.a.id, forKeyId: keys.c.id, quota: 'serve.maxSessions' }),
    ]);
    // Full again and every session was just used: a fourth key finds nothing idle to evict.
    await touch(a2, b1, c1);
    expect((await refusedOpen(url, keys.a2.key)).status).toBe(503);
  }, 60_000);
});
