/**
 * SSO for `serve` end to end (issue 18, item 3): the built gateway's `serve` with `serve.sso` pointing at a real
 * OIDC identity provider (oidc-provider in this process, test/helpers/idp.ts). A real SDK client with the IdP's
 * access token lists and calls tools; a gateway key and a token of the same user both work and the audit tells them
 * apart (keyId, or subject + issuer); every bad token gets 401 with the RFC 6750 challenge and a reason (expired, not
 * yet valid, wrong audience, wrong issuer, another key, alg none), a good token of a user who may not come in gets
 * 403 (unknown, disabled); the RFC 9728 metadata lets an SDK client find the IdP, and is Host-checked; an IdP that
 * cannot be reached is 503. No token ever reaches the log or the audit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, textOf, waitFor } from '../helpers/gateway.js';
import { identityConfig, makeKey } from '../helpers/identity.js';
import { startIdp, type TestIdp } from '../helpers/idp.js';
import { httpClient, INIT, MCP_HEADERS, rawRequest, startServe, type ServeProcess } from '../helpers/serve.js';
import { freePort } from '../helpers/redis.js';
import OpenAI from 'openai';
import { startFakeLlmProvider, type FakeLlmProvider } from '../fixtures/fake-llm-provider.js';

const now = () => Math.floor(Date.now() / 1000);

const records = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('serve with SSO', () => {
  let idp: TestIdp;
  let gw: ServeProcess;
  let url: string;
  let resource: string;
  let home: string;
  let aliceKey: string;
  let llm: FakeLlmProvider;
  let port: number;
  const tokens: string[] = [];

  beforeAll(async () => {
    llm = await startFakeLlmProvider({ apiKey: 'sk-sso-provider' });
    idp = await startIdp({
      alice: { email: 'Alice@Example.com', groups: [] },
      dana: { email: 'dana@example.com', groups: ['engineers'] },
      eve: { email: 'eve@example.com' },
      carol: { email: 'carol@example.com' },
    });
    port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    const base = identityConfig();
    home = tempDir();
    const config = {
      ...base,
      users: { ...base.users, 'carol@example.com': { disabled: true }, 'dana@example.com': {} },
      memberships: { ...base.memberships, one: { ...base.memberships.one, 'carol@example.com': 'developer' } },
      roles: { ...base.roles, contractor: { ...base.roles.contractor, deployments: ['gpt-*'] } },
      llm: {
        providers: { fake: { kind: 'openai-compatible', baseUrl: `${llm.url}/v1`, apiKey: 'sk-sso-provider' } },
        deployments: { 'gpt-fast': { provider: 'fake', model: 'gpt-4o-mini' } },
      },
      serve: {
        maxSessionsPerKey: 2,
        evictIdleAfterMs: 600_000,
        sso: {
          issuer: idp.issuer,
          audience: [resource, `${resource}/one`, `${resource}/two`],
          groupRoles: { two: { engineers: 'contractor' } },
          requiredScopes: ['mcp'],
        },
      },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    aliceKey = makeKey(home, 'one', 'alice@example.com').key;
    gw = await startServe(config, { home, args: ['--port', String(port)] });
    url = gw.url;
    expect(url).toBe(resource);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await idp?.close();
    await llm?.close();
  });

  const token = async (client: string, res = resource) => {
    const t = await idp.token(client, res);
    tokens.push(t);
    return t;
  };
  const signed = async (payload: Record<string, unknown>, opts?: Parameters<TestIdp['sign']>[1]) => {
    const t = await idp.sign(
      {
        iss: idp.issuer,
        aud: resource,
        sub: 'forged',
        email: 'dana@example.com',
        scope: 'mcp',
        iat: now(),
        exp: now() + 300,
        ...payload,
      },
      opts,
    );
    tokens.push(t);
    return t;
  };
  const post = (bearer: string | undefined, at = url, headers: Record<string, string> = {}) =>
    rawRequest(at, {
      headers: { ...MCP_HEADERS, ...(bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }), ...headers },
      body: INIT,
    });

  it('a real SDK client with an IdP access token lists and calls tools, as the user the email claim names', async () => {
    // dana has no membership: her "engineers" group gives her project two as contractor (the only project).
    const dana = await httpClient(url, await token('dana'));
    try {
      const tools = (await dana.client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['beta__read_note', 'beta__whoami']);
      expect(textOf(await dana.client.callTool({ name: 'beta__whoami', arguments: {} }))).toContain('beta');
    } finally {
      await dana.transport.terminateSession();
      await dana.client.close();
    }
  });

  it('a gateway key and a token of the same user both work; the audit says which', async () => {
    // alice is in projects one and two: a token names no project, so she connects to /mcp/one.
    const refused = await post(await token('alice'));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.message).toContain(
      "user alice@example.com is a member of several projects; connect to the project's own endpoint: /mcp/one, /mcp/two",
    );
    // A gateway key carries its project: at another project's path it is refused.
    const wrongProject = await post(aliceKey, `${url}/two`);
    expect(wrongProject.status).toBe(403);
    expect(JSON.parse(wrongProject.body).error.message).toMatch(
      /^forbidden: gateway key \w+ is for project one, not two$/,
    );
    const viaToken = await httpClient(`${url}/one`, await token('alice', `${resource}/one`));
    const viaKey = await httpClient(url, aliceKey);
    try {
      for (const c of [viaToken, viaKey])
        expect(textOf(await c.client.callTool({ name: 'alpha__whoami', arguments: {} }))).toContain('alpha');
    } finally {
      await viaToken.client.close();
      await viaKey.client.close();
    }
    // The audit writer batches its writes: wait for both records.
    const calls = await waitFor(() => {
      const found = records(path.join(home, 'audit.jsonl')).filter(
        (r) => r.kind === 'call' && r.exposed === 'alpha__whoami',
      );
      return found.length === 2 && found;
    });
    expect(calls.map((c) => [c.user, c.project, c.role])).toEqual([
      ['alice@example.com', 'one', 'developer'],
      ['alice@example.com', 'one', 'developer'],
    ]);
    const sso = calls.find((c) => c.subject !== undefined)!;
    const key = calls.find((c) => c.keyId !== undefined)!;
    expect(sso).toMatchObject({ subject: 'alice', issuer: idp.issuer });
    expect(sso.keyId).toBeUndefined();
    expect(key.subject).toBeUndefined();
    const accepted = records(path.join(home, 'audit.jsonl')).filter((r) => r.kind === 'sso' && r.event === 'accepted');
    expect(accepted).toContainEqual(
      expect.objectContaining({ user: 'alice@example.com', project: 'one', subject: 'alice', issuer: idp.issuer }),
    );
  });

  it.each([
    ['expired', { exp: now() - 3600, iat: now() - 7200 }, {}, /^the token expired at \S+; get a new one/],
    ['not yet valid', { nbf: now() + 3600 }, {}, /^the token is not valid yet \(nbf /],
    [
      'for another audience',
      { aud: 'https://other.example.com/mcp' },
      {},
      /audience "https:\/\/other\.example\.com\/mcp" is not this gateway's/,
    ],
    [
      'from another issuer',
      { iss: 'https://evil.example.com' },
      {},
      /issued by "https:\/\/evil\.example\.com", not by http/,
    ],
    [
      'signed by another key',
      {},
      { other: true },
      /^the token is signed by a key the identity provider does not publish$/,
    ],
    [
      'signed by another key with the IdP kid',
      {},
      { other: true, sameKid: true },
      /^the token's signature does not verify$/,
    ],
  ] as [string, Record<string, unknown>, { other?: boolean; sameKid?: boolean }, RegExp][])(
    'refuses a token %s with 401 and the RFC 6750 challenge',
    async (_what, claims, opts, reason) => {
      const other = opts.other ? (await generateKeyPair('RS256')).privateKey : undefined;
      const t = await signed(claims, other ? { key: other, ...(opts.sameKid ? {} : { kid: 'attacker' }) } : {});
      const r = await post(t);
      expect(r.status).toBe(401);
      const message = JSON.parse(r.body).error.message as string;
      expect(message.replace(/^unauthorized: /, '')).toMatch(reason);
      expect(r.headers['www-authenticate']).toMatch(
        /^Bearer realm="secure-mcp-gateway", error="invalid_token", error_description="[^"]+", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/,
      );
    },
  );

  it('refuses alg none, and a token without the required scope', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: resource, sub: 'x', email: 'dana@example.com', exp: now() + 300 })}.`;
    tokens.push(none);
    const r = await post(none);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.message).toMatch(/not accepted|not .*well-formed/);
    // Not a JWT at all: the reason has an ellipsis, which the header carries as ASCII.
    const garbage = await post('not-a-jwt');
    expect(garbage.status).toBe(401);
    expect(garbage.headers['www-authenticate']).toContain(
      'error_description="the bearer is neither a gateway key (smg_...) nor a well-formed signed JWT"',
    );
    const noScope = await post(await signed({ scope: 'other' }));
    expect(noScope.status).toBe(403);
    expect(noScope.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(noScope.headers['www-authenticate']).toContain('scope="mcp"');
  });

  it.each([
    ['eve', 'user eve@example.com is not configured on this gateway'],
    ['carol', 'user carol@example.com is disabled'],
  ])('refuses a good token of %s with 403 and a reason', async (client, reason) => {
    const r = await post(await token(client));
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toBe(`forbidden: ${reason}`);
    const refused = await waitFor(() =>
      records(path.join(home, 'audit.jsonl')).find(
        (x) => x.kind === 'sso' && x.event === 'refused' && x.subject === client,
      ),
    );
    expect(refused).toMatchObject({ issuer: idp.issuer, reason });
  });

  it('answers 401 without credentials with resource_metadata, and the metadata leads an SDK client to the IdP', async () => {
    const r = await post(undefined);
    expect(r.status).toBe(401);
    const metadataUrl = `${new URL(url).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="secure-mcp-gateway", resource_metadata="${metadataUrl}"`);
    const doc = await (await fetch(metadataUrl)).json();
    expect(doc).toEqual({
      resource,
      authorization_servers: [idp.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp'],
      resource_name: 'secure-mcp-gateway',
    });
    const found = await discoverOAuthProtectedResourceMetadata(new URL(url));
    expect(found.authorization_servers).toEqual([idp.issuer]);
    expect((await discoverOAuthProtectedResourceMetadata(new URL(`${url}/two`))).resource).toBe(`${resource}/two`);
    const bare = await (await fetch(`${new URL(url).origin}/.well-known/oauth-protected-resource`)).json();
    expect(bare).toMatchObject({ resource });
    // DNS rebinding: the metadata routes are Host-checked like MCP.
    const rebound = await rawRequest(metadataUrl, { method: 'GET', headers: { Host: 'evil.example.com' } });
    expect(rebound.status).toBe(403);
  });

  it('counts SSO sessions per user against serve.maxSessionsPerKey, whatever the token', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await post(await token('dana'));
      expect([r.status, r.body]).toEqual([200, expect.any(String)]);
    }
    const third = await post(await token('dana'));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error.message).toMatch(
      /^too many sessions for user dana@example\.com \(serve\.maxSessionsPerKey = 2\)/,
    );
    // Another user, and the same user's gateway key, are not counted with dana's tokens.
    const alice = await httpClient(url, aliceKey);
    await alice.client.close();
  });

  it('closes an SSO session when a config reload disables its user', async () => {
    const session = await httpClient(`${url}/one`, await token('alice', `${resource}/one`));
    expect((await session.client.listTools()).tools.length).toBeGreaterThan(0);
    const file = path.join(home, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Record<string, { disabled?: boolean }> };
    config.users['alice@example.com'] = { disabled: true };
    fs.writeFileSync(file, JSON.stringify(config));
    await waitFor(
      () =>
        gw
          .logs()
          .some(
            (l) => l.event === 'session.revoked' && l.user === 'alice@example.com' && /disabled/.test(String(l.msg)),
          ),
      15_000,
    );
    await expect(session.client.listTools()).rejects.toThrow();
    await session.client.close();
  });

  it('the AI proxy takes the IdP access token as an OpenAI client’s API key, as the user and role it maps to', async () => {
    llm.enqueue({ text: 'Answered for an SSO user.' });
    const openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: await token('dana'), maxRetries: 0 });
    const answer = await openai.chat.completions.create({
      model: 'gpt-fast',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(answer.choices[0]!.message.content).toBe('Answered for an SSO user.');
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['gpt-fast']);
    const bad = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'not-a-token', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
    await waitFor(() => records(path.join(home, 'audit.jsonl')).some((r) => r.kind === 'llm'));
    const rec = records(path.join(home, 'audit.jsonl')).find(
      (r) => r.kind === 'llm' && r.endpoint === 'chat.completions',
    );
    expect(rec).toMatchObject({ user: 'dana@example.com', project: 'two', subject: 'dana', outcome: 'ok' });
    expect(rec).not.toHaveProperty('keyId');
  });

  it('never writes a token to the log or the audit', () => {
    expect(tokens.length).toBeGreaterThan(8);
    const files = fs.readdirSync(home, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const written = [gw.stderr(), ...files.map((f) => fs.readFileSync(path.join(f.parentPath, f.name), 'utf8'))].join(
      '\n',
    );
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['audit.jsonl', 'config.json']));
    for (const t of tokens) {
      expect(written).not.toContain(t);
      expect(written).not.toContain(t.split('.')[2] || t.split('.')[1]);
    }
    expect(gw.logs().some((l) => l.event === 'sso.accepted')).toBe(true);
    expect(gw.logs().some((l) => l.event === 'sso.refused')).toBe(true);
  });
});

describe('serve with SSO and an unreachable IdP', () => {
  it('refuses every token with 503 and the reason, and gateway keys still work', async () => {
    const idp = await startIdp({ dana: { email: 'dana@example.com', groups: ['engineers'] } });
    const dead = await freePort();
    const base = identityConfig();
    const home = tempDir();
    const config = {
      ...base,
      users: { ...base.users, 'dana@example.com': {} },
      serve: { sso: { issuer: `http://127.0.0.1:${dead}`, audience: 'gw', timeoutMs: 1000 } },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    const key = makeKey(home, 'one', 'alice@example.com').key;
    const gw = await startServe(config, { home });
    try {
      const t = await idp.sign({
        iss: `http://127.0.0.1:${dead}`,
        aud: 'gw',
        sub: 'd',
        email: 'dana@example.com',
        exp: now() + 60,
      });
      const r = await rawRequest(gw.url, { headers: { ...MCP_HEADERS, Authorization: `Bearer ${t}` }, body: INIT });
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expect(JSON.parse(r.body).error.message).toContain(
        `unavailable: the identity provider http://127.0.0.1:${dead} cannot be reached for its metadata`,
      );
      const viaKey = await httpClient(gw.url, key);
      expect((await viaKey.client.listTools()).tools.length).toBeGreaterThan(0);
      await viaKey.client.close();
    } finally {
      await gw.stop();
      await idp.close();
    }
  }, 60_000);
});
