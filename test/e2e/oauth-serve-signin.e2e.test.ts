/**
 * A user signs in for themselves through `serve` (issue 18 item 1), end to end: the built `serve` with a per-user
 * OAuth server (the oidc-provider fixture); alice's session is told to sign in with a one-time link of her own; the
 * headless browser opens it as alice (login form, consent) and lands on serve's callback; her next call works as
 * her, and bob still gets his own link; a used link, a made-up link and a callback with an unknown state are 400
 * pages; the sign-in is logged and audited; no token is in clear in any file or log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, textOf } from '../helpers/gateway.js';
import { startOAuthUpstream, type OAuthUpstream } from '../fixtures/oauth-upstream.js';
import { browse } from '../helpers/oauth-browser.js';
import { httpClient, rawRequest, startServe, type ServeProcess } from '../helpers/serve.js';
import { makeKey } from '../helpers/identity.js';
import { openVault } from '../../src/vault/open.js';
import { oauthSecretName } from '../../src/oauth/provider.js';

const PASSPHRASE = 'e2e passphrase, not a secret';
const LINK = /http:\/\/\S+\/oauth\/start\/[A-Za-z0-9_-]{43}/;

/** Polls an async condition (the helper's waitFor is synchronous). */
async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

describe('serve: a user signs in for themselves with a one-time link', () => {
  let as: OAuthUpstream;
  let serve: ServeProcess;
  let home: string;
  let keys: Record<string, string>;
  const clients: Client[] = [];
  const vault = () => openVault({ home, env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE } });

  beforeAll(async () => {
    as = await startOAuthUpstream();
    home = tempDir('smg-serve-signin-');
    const config = {
      servers: { linear: { url: as.mcpUrl, transport: 'streamable-http', oauth: {} } },
      projects: { team: { servers: ['linear'] } },
      users: { 'alice@example.com': {}, 'bob@example.com': {} },
      roles: { developer: { servers: { '*': {} } } },
      memberships: { team: { 'alice@example.com': 'developer', 'bob@example.com': 'developer' } },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    keys = Object.fromEntries(['alice', 'bob'].map((u) => [u, makeKey(home, 'team', `${u}@example.com`).key]));
    serve = await startServe(config, { home, env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE } });
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await serve?.stop();
    await as?.close();
  });

  const connect = async (user: string) => {
    const { client } = await httpClient(serve.url, keys[user]);
    clients.push(client);
    return client;
  };
  /** The sign-in message a session gets: its upstream is unavailable, and the status tool says why. */
  const signInMessage = async (client: Client) => {
    const message = await until(async () => {
      const tools = (await client.listTools()).tools;
      const d = tools.find((t) => t.name === '_gateway_status')?.description ?? '';
      return LINK.test(d) ? d : undefined;
    }, 15_000);
    return message;
  };

  let aliceLink = '';

  it('tells alice to sign in, with her own one-time link and the operator’s command', async () => {
    const alice = await connect('alice');
    const message = await signInMessage(alice);
    expect(message).toContain(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear --user alice@example.com`, or open http://127.0.0.1:',
    );
    aliceLink = LINK.exec(message)![0];
    expect(new URL(aliceLink).origin).toBe(new URL(serve.url).origin);
  });

  it('signs alice in through the link: the callback page says so, and her next call runs as her', async () => {
    const page = await browse(aliceLink, { user: 'alice' });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe('/oauth/callback');
    expect(page.body).toContain('signed in to linear; you can close this window');
    expect(vault().get(oauthSecretName('linear', 'alice@example.com'))).toBeDefined();
    const alice = await connect('alice');
    // Her pool connects again at once after the callback; the tool appears when its list arrives.
    const r = await until(async () => {
      const res = await alice.callTool({ name: 'linear__whoami', arguments: {} }).catch(() => undefined);
      return res !== undefined && res.isError !== true ? res : undefined;
    }, 15_000);
    expect(JSON.parse(textOf(r))).toMatchObject({ sub: 'alice' });
    const logged = serve.logs().filter((l) => l.event === 'oauth.signed-in');
    expect(logged).toEqual([expect.objectContaining({ server: 'linear', user: 'alice@example.com' })]);
    const audit = await until(() => {
      const file = path.join(home, 'audit.jsonl');
      const found = fs.existsSync(file)
        ? fs
            .readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"signed-in"'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
      return Promise.resolve(found.length > 0 ? found : undefined);
    }, 10_000);
    expect(audit).toEqual([
      expect.objectContaining({ kind: 'oauth', event: 'signed-in', server: 'linear', user: 'alice@example.com' }),
    ]);
  });

  it('refuses a used link and a made-up one with a 400 page, and a callback whose state is unknown', async () => {
    const used = await fetch(aliceLink, { redirect: 'manual' });
    expect(used.status).toBe(400);
    expect(await used.text()).toContain('This sign-in link is not valid');
    const madeUp = await fetch(aliceLink.replace(/[^/]{43}$/, 'A'.repeat(43)), { redirect: 'manual' });
    expect(madeUp.status).toBe(400);
    const callback = await fetch(new URL('/oauth/callback?code=abc&state=made-up', serve.url), { redirect: 'manual' });
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain('matches no sign-in in progress');
  });

  it('guards the sign-in routes by Host and Origin like every other route', async () => {
    const start = new URL(aliceLink);
    const port = new URL(serve.url).port;
    const cases: Record<string, string>[] = [
      { Host: `evil.example:${port}` },
      { Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' },
    ];
    for (const headers of cases) {
      for (const route of [start.pathname, '/oauth/callback?code=abc&state=x']) {
        const r = await rawRequest(new URL(route, serve.url).href, { method: 'GET', headers });
        expect(r.status, `${route} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
  });

  it('bob is not signed in by alice’s link: he gets his own', async () => {
    const bob = await connect('bob');
    const message = await signInMessage(bob);
    expect(message).toContain('auth login linear --user bob@example.com');
    const bobLink = LINK.exec(message)![0];
    expect(bobLink).not.toBe(aliceLink);
    const bobRecord = vault().get(oauthSecretName('linear', 'bob@example.com'));
    expect(
      bobRecord === undefined ? undefined : (JSON.parse(bobRecord) as { tokens?: unknown }).tokens,
    ).toBeUndefined();
    const r = await bob.callTool({ name: '_gateway_status', arguments: {} });
    expect(textOf(r)).not.toContain('"sub"');
  });

  it('keeps no token in clear in any file or log', () => {
    const text = vault().get(oauthSecretName('linear', 'alice@example.com'))!;
    const tokens = (JSON.parse(text) as { tokens: { access_token: string; refresh_token?: string } }).tokens;
    const secrets = [tokens.access_token, tokens.refresh_token].filter((t): t is string => typeof t === 'string');
    expect(secrets.length).toBeGreaterThan(0);
    for (const file of files(home)) {
      const content = fs.readFileSync(file, 'latin1');
      for (const t of secrets) expect(content.includes(t), file).toBe(false);
    }
    for (const t of secrets) expect(serve.stderr().includes(t)).toBe(false);
  });
});
