import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import type { CheckResult, DoctorContext } from '../types.js';
import { configCheck } from './config.js';
import { referencesCheck } from './references.js';
import { upstreamsCheck } from './upstreams.js';

const TOKEN_LINE = 'at servers.gh.env.TOKEN: environment variable GH_TOKEN is not set (referenced as ${env:GH_TOKEN})';
const FIX = 'set GH_TOKEN in the environment the client starts the gateway with (its "env" entry), or use ${file:…}';

/** A doctor context over a config text written to a temporary file; no upstream is ever started. */
function contextFor(text: string | undefined, env: NodeJS.ProcessEnv = {}): DoctorContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-config-'));
  const file = path.join(dir, 'config.json');
  if (text !== undefined) fs.writeFileSync(file, text);
  const ctx: DoctorContext = {
    paths: { home: dir, config: file, cacheDir: dir, logFile: dir, lockfile: dir, manifestsDir: dir },
    env,
    catalog: {},
    loaded() {
      try {
        return { loaded: loadConfig(file, env) };
      } catch (error) {
        return { error: String(error) };
      }
    },
    catalogs: () => Promise.resolve([]),
  };
  return ctx;
}

const run = async (check: typeof configCheck, ctx: DoctorContext) =>
  (await check.run(ctx)).map((r: CheckResult) => [r.status, r.detail.replace(ctx.paths.config, 'FILE'), r.fix]);

const withGh = (extra: object = {}) =>
  JSON.stringify({
    servers: { gh: { command: 'x', env: { TOKEN: '${env:GH_TOKEN}' } }, ok: { command: 'y' } },
    ...extra,
  });

describe('doctor: config', () => {
  it.each([
    ['no file', undefined, [['fail', 'no config at FILE', 'secure-mcp-gateway init']]],
    [
      'bad JSON',
      '{"servers":',
      [['fail', expect.stringMatching(/not valid JSON/), expect.stringMatching(/^fix the JSON/)]],
    ],
    [
      'an unknown field, in validate’s words (not zod’s)',
      '{"servers":{"fs":{"command":"x","environment":{}}}}',
      [
        [
          'fail',
          'FILE: at servers.fs: unknown field "environment"',
          'edit servers.fs (docs/config.md lists every field)',
        ],
      ],
    ],
    [
      'a reference outside servers',
      '{"servers":{},"state":{"backend":"redis","url":"${env:REDIS_URL}"}}',
      [
        [
          'fail',
          'FILE: at state.url: environment variable REDIS_URL is not set (referenced as ${env:REDIS_URL})',
          'edit state.url (docs/config.md lists every field)',
        ],
      ],
    ],
    [
      'a reference in one server: valid, and a warning with the fix',
      withGh(),
      [
        ['ok', 'FILE: valid, 2 servers', undefined],
        ['warn', `server "gh" is unavailable: ${TOKEN_LINE}`, FIX],
      ],
    ],
  ])('reports %s', async (_what, text, expected) => {
    const ctx = contextFor(text);
    expect(await run(configCheck, ctx)).toEqual(expected);
    expect(await run(configCheck, ctx)).toEqual(expected);
  });
});

describe('doctor: references', () => {
  it('warns for a reference in a server (that server only) and fails for one elsewhere', async () => {
    const ctx = contextFor(
      withGh({ judges: { j: { baseUrl: 'https://j.example/v1', model: 'm', apiKey: '${env:JUDGE_KEY}' } } }),
    );
    expect(await run(referencesCheck, ctx)).toEqual([
      ['warn', TOKEN_LINE, FIX],
      [
        'fail',
        'at judges.j.apiKey: environment variable JUDGE_KEY is not set (referenced as ${env:JUDGE_KEY})',
        'set JUDGE_KEY in the environment the client starts the gateway with (its "env" entry), or use ${file:…}',
      ],
    ]);
  });

  it('is fine when every reference resolves', async () => {
    expect(await run(referencesCheck, contextFor(withGh(), { GH_TOKEN: 't0ken' }))).toEqual([
      ['ok', '1 reference resolves', undefined],
    ]);
  });
});

describe('doctor: upstreams', () => {
  it('names a server left out by a reference as not started, with the fix, and starts none of it', async () => {
    const ctx = contextFor(JSON.stringify({ servers: { gh: { command: 'x', env: { TOKEN: '${env:GH_TOKEN}' } } } }));
    expect(await run(upstreamsCheck, ctx)).toEqual([['warn', `not started: ${TOKEN_LINE}`, FIX]]);
  });

  it('skips when the config does not load', async () => {
    expect(await run(upstreamsCheck, contextFor('{'))).toEqual([
      ['skip', 'the config does not load (see above)', undefined],
    ]);
  });
});
