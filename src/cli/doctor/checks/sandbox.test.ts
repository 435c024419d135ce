/**
 * doctor's sandbox check (issue 19): the platform's state in words a user can act on, a required profile that
 * cannot be honoured is ✗, and unconfined servers and open networks are ⚠ with scan's findings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../../../clients/catalog.js';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { findProgram, unsupportedReason } from '../../../sandbox/platform.js';
import { createDoctorContext } from '../context.js';
import { DOCTOR_CHECKS } from './index.js';
import { sandboxCheck } from './sandbox.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A home with this config, a PATH that is an empty folder (no bwrap) unless given, and a platform. */
function setup(config: unknown, opts: { platform?: Platform; PATH?: string } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-sandbox-'));
  dirs.push(home);
  const emptyBin = path.join(home, 'bin');
  fs.mkdirSync(emptyBin);
  const env = { HOME: home, SMG_HOME: path.join(home, '.smg'), PATH: opts.PATH ?? emptyBin };
  fs.mkdirSync(env.SMG_HOME);
  fs.writeFileSync(
    path.join(env.SMG_HOME, 'config.json'),
    typeof config === 'string' ? config : JSON.stringify(config),
  );
  const paths = resolvePaths({}, env);
  const catalog = { platform: opts.platform ?? ('linux' as const), env, project: path.join(home, 'project') };
  return createDoctorContext({ paths, env, catalog, log: silentLogger() });
}

const node = process.execPath;
const mixed = {
  servers: {
    plain: { command: node, args: ['plain.js'] },
    off: { command: node, args: ['off.js'], sandbox: false },
    vault: { command: node, args: ['vault.js'], sandbox: { required: true } },
    web: { command: node, args: ['web.js'], sandbox: { network: 'all' } },
    remote: { url: 'https://mcp.example.com/mcp' },
  },
};

const unconfinedLine = {
  status: 'warn',
  subject: 'sandbox unconfined',
  detail: '2 stdio servers run unconfined, with all of your files and the network: plain, off ("sandbox": false)',
  fix: 'give each a "sandbox" profile ("sandbox": true is no network, its roots read-write); `secure-mcp-gateway init` proposes one per server (docs/sandbox.md)',
};
const networkAll = {
  status: 'warn',
  subject: 'sandbox web',
  detail: expect.stringContaining('network "all"') as string,
  fix: 'list the hosts it needs in servers.web.sandbox.network: {"allow": ["api.example.com", "*.example.com"]} (docs/sandbox.md)',
};

describe('doctor: sandboxed servers', () => {
  it('is registered, after the launcher check', () => {
    const ids = DOCTOR_CHECKS.map((c) => c.id);
    expect(ids).toContain('sandbox');
    expect(ids.indexOf('sandbox')).toBe(ids.indexOf('launchers') + 1);
  });

  it.each([
    ['darwin', 'macOS has no sandbox for servers yet'],
    ['win32', 'Windows has no sandbox for servers yet'],
  ] as const)(
    'on %s says so plainly, fails the required server and warns about the rest',
    async (platform, sentence) => {
      const results = await sandboxCheck.run(setup(mixed, { platform }));
      expect(results).toEqual([
        {
          status: 'warn',
          subject: 'sandbox',
          detail: unsupportedReason(platform),
          fix: `nothing to install: servers on ${platform} run unconfined; a "required" profile refuses its server (docs/sandbox.md)`,
        },
        {
          status: 'fail',
          subject: 'sandbox vault',
          detail:
            'its profile is required (sandbox.required: true) and this machine cannot sandbox: the server will refuse to start (sandbox.unavailable)',
          fix: 'run it on Linux, or set servers.vault.sandbox.required to false to run it unconfined here',
        },
        {
          status: 'warn',
          subject: 'sandbox profiles',
          detail: '1 server with a profile will run unconfined here: web',
          fix: 'make the sandbox available (above), or set "required": true in a profile to refuse the server instead',
        },
        unconfinedLine,
        networkAll,
      ]);
      expect(results[0]!.detail).toContain(sentence);
    },
  );

  it('on Linux without bwrap on PATH says how to install it', async () => {
    const results = await sandboxCheck.run(setup(mixed));
    expect(results[0]).toEqual({
      status: 'warn',
      subject: 'sandbox',
      detail: expect.stringContaining('bubblewrap (bwrap) is not installed or not on PATH') as string,
      fix: 'install bubblewrap (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap), then run doctor again (docs/sandbox.md)',
    });
    expect(results[1]).toMatchObject({
      status: 'fail',
      subject: 'sandbox vault',
      fix: expect.stringMatching(/^install bubblewrap/) as string,
    });
  });

  it('names a sandbox.bwrap that is not a program', async () => {
    const results = await sandboxCheck.run(
      setup({ ...mixed, sandbox: { bwrap: '/nowhere/bwrap' } }, { PATH: process.env.PATH ?? '' }),
    );
    expect(results[0]).toMatchObject({
      status: 'warn',
      detail: 'sandbox.bwrap "/nowhere/bwrap" is not an executable file',
      fix: expect.stringContaining('point sandbox.bwrap at the bwrap program') as string,
    });
  });

  it('skips the platform line when no stdio server needs it, and passes with nothing else to say', async () => {
    expect(await sandboxCheck.run(setup({ servers: { remote: { url: 'https://mcp.example.com/mcp' } } }))).toEqual([
      { status: 'skip', subject: 'sandbox', detail: expect.stringContaining('no stdio server to sandbox') as string },
    ]);
  });

  it('skips when the config does not load', async () => {
    expect(await sandboxCheck.run(setup('{ nope'))).toMatchObject([{ status: 'skip', subject: 'sandbox' }]);
  });

  it.runIf(findProgram('bwrap', process.env.PATH ?? '') !== undefined)(
    'with a working bwrap passes the platform and still names the unconfined servers',
    async () => {
      const ctx = setup(mixed, { PATH: process.env.PATH ?? '' });
      const results = await sandboxCheck.run(ctx);
      expect(results).toEqual([
        {
          status: 'ok',
          subject: 'sandbox',
          detail: expect.stringMatching(
            /^bubblewrap \d+\.\d+\.\d+ \(\/.*bwrap\) can sandbox servers: 2 servers of 4 stdio run in one$/,
          ) as string,
        },
        unconfinedLine,
        networkAll,
      ]);
      // The same answer twice (the probe is cached, the config read once).
      expect(await sandboxCheck.run(ctx)).toEqual(results);
    },
  );
});
