/**
 * The package as a user gets it (issue 17, items 1 and 9): what `npm pack` puts in the tarball, a real global install
 * of that tarball into a temporary prefix with `--offline` (the package has no run-time dependency: everything is
 * bundled but the optional native keychain binding @napi-rs/keyring (issue 18), which npm takes from its cache, filled
 * by `npm ci`), and the installed command doing real work far from this checkout's node_modules: `--version`,
 * `config validate` of the installed example, a stdio session with telemetry on (OpenTelemetry's lazy chunk), and
 * `check` against a PDF policy document (pdfjs-dist's lazy chunks and its in-process worker). Also: the bin's message
 * when a checkout was never built, and npm in the checkout without the "Unknown project config" warning.
 *
 * Needs `npm run build` first, like every e2e test. `npm pack` runs with --ignore-scripts here: its `prepack` build
 * would rewrite dist/ under the other e2e files that run at the same time (the test checks that `prepack` is there).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_POLICY_LINES, makePdf } from '../support/pdf-fixture.js';
import { startFakeEndpoint, type FakeEndpoint } from '../support/judge-fake-endpoint.js';
import { npmServer, ROOT, tempDir, textOf } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

/**
 * Ceilings, with room over today's figures (tarball 2.2 MB, unpacked 6.6 MB, installed 6.6 MB plus 3.4 MB of the
 * optional keychain binding for this platform; 192 MB installed before).
 */
const MAX_TARBALL_BYTES = 3.5 * 1024 * 1024;
const MAX_UNPACKED_BYTES = 10 * 1024 * 1024;
const MAX_INSTALLED_BYTES = 12 * 1024 * 1024;

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** npm with this checkout as the working directory; no npm_config_* of a parent `npm test` leaks in. */
function npm(args: string[], cwd = ROOT) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pack(extra: string[]): PackResult {
  const r = npm(['pack', '--json', '--ignore-scripts', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const [result] = JSON.parse(r.stdout) as PackResult[];
  return result!;
}

/** Bytes on disk under a directory (what `du` counts, in apparent sizes). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

describe('npm pack contents', () => {
  let result: PackResult;
  let files: string[];
  beforeAll(() => {
    result = pack(['--dry-run']);
    files = result.files.map((f) => f.path);
  });

  it.each([
    'bin/secure-mcp-gateway.js',
    'dist/cli.js',
    'dist/demo.js',
    'dist/THIRD-PARTY-LICENSES.txt',
    // The sandbox's relay and fetch preload, mounted into each sandbox with an allow list (src/sandbox/launch.ts).
    'dist/sandbox-relay.cjs',
    'dist/sandbox-preload.cjs',
    'models/injection.bin',
    'config/schema.json',
    'config/example.config.json',
    'README.md',
    'NOTICE',
    'LICENSE',
    'package.json',
    'docs/cli.md',
  ])('ships %s', (file) => {
    expect(files).toContain(file);
  });

  it('ships nothing outside bin, dist, docs, models, the two config files and the top-level notices', () => {
    const allowed =
      /^(?:(?:bin|dist|docs|models)\/|config\/(?:schema|example\.config)\.json$|(?:README\.md|NOTICE|LICENSE|package\.json)$)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  });

  it.each([
    ['sources', /^src\//],
    ['tests', /^test\//],
    ['benchmarks and training', /^bench\//],
    ['node_modules', /(?:^|\/)node_modules\//],
    ['scratch files', /(?:^|\/)\.scratch\//],
    ['source maps', /\.map$/],
    ['tarballs', /\.tgz$/],
    ['npm or env files', /(?:^|\/)\.(?:npmrc|env)/],
    ['keys and vaults', /\.(?:pem|key|p12|pfx)$|(?:^|\/)(?:vault|credentials)(?:\.|\/|$)/i],
  ])('ships no %s', (_what, pattern) => {
    expect(files.filter((f) => pattern.test(f))).toEqual([]);
  });

  it('stays small', () => {
    expect(result.size).toBeLessThan(MAX_TARBALL_BYTES);
    expect(result.unpackedSize).toBeLessThan(MAX_UNPACKED_BYTES);
  });

  it('builds before packing and needs nothing at run time but the optional native peer and keychain binding', () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependenciesMeta?.['onnxruntime-node']?.optional).toBe(true);
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['@napi-rs/keyring']);
  });
});

describe('the installed tarball', () => {
  let dir: string;
  let prefix: string;
  let installed: string;
  let command: string;
  let fake: FakeEndpoint;
  let redis: RedisServer;

  beforeAll(async () => {
    dir = tempDir('smg-pack-');
    prefix = path.join(dir, 'prefix');
    const { filename } = pack(['--pack-destination', dir]);
    const tgz = path.join(dir, path.basename(filename));
    // --offline: no registry is asked anything, which only works because there is nothing to fetch.
    const r = npm(['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tgz], dir);
    expect(r.status, r.stderr).toBe(0);
    installed = path.join(prefix, 'lib/node_modules/secure-mcp-gateway');
    command = path.join(prefix, 'bin/secure-mcp-gateway');
    fake = await startFakeEndpoint({ models: ['judge-model'] });
    redis = await startRedis();
    fake.script((req) =>
      req.check === 'policy' && req.user.includes('Falcon')
        ? { verdict: { violation: true, rule: 'policies.2', confidence: 0.93, reason: 'names project Falcon' } }
        : { verdict: { violation: false, rule: null, confidence: 0.05, reason: 'no rule applies' } },
    );
  }, 180_000);
  afterAll(async () => {
    await fake.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The installed command, run with an empty SMG_HOME and no trace of this checkout in its environment. */
  function run(args: string[], home: string, env: Record<string, string> = {}) {
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      // Not spawnSync: the fake judge answers from this process's event loop.
      const child = execFile(
        command,
        args,
        { cwd: home, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, ...env } },
        (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
      );
    });
  }

  it('installs no module of its own but the optional keychain binding, within the size ceiling', () => {
    // node_modules holds @napi-rs/keyring and its binary for this platform (an optional dependency: a platform
    // without one installs without it, and the vault uses its encrypted file), and nothing else.
    const modules = path.join(installed, 'node_modules');
    expect(fs.readdirSync(modules).filter((n) => !n.startsWith('.'))).toEqual(['@napi-rs']);
    const napi = fs.readdirSync(path.join(modules, '@napi-rs'));
    expect(napi).toContain('keyring');
    expect(napi.every((n) => /^keyring(?:-[a-z0-9-]+)?$/.test(n))).toBe(true);
    expect(napi.length).toBeLessThanOrEqual(3);
    expect(treeBytes(installed)).toBeLessThan(MAX_INSTALLED_BYTES);
  });

  it('loads the keychain binding from the install, and the encrypted-file vault from the bundle', async () => {
    const home = tempDir();
    // A bus that is not there: the binding loads and reports the Secret Service missing (not the package).
    const r = await run(['secrets', 'list'], home, {
      SMG_VAULT: 'keychain',
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(home, 'no-bus')}`,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SMG_VAULT=keychain, but the Secret Service does not answer/);
    const file = await run(['secrets', 'list', '--json'], home, { SMG_VAULT: 'file' });
    expect(file.status, file.stderr).toBe(0);
    expect(JSON.parse(file.stdout)).toEqual({ backend: 'file', where: path.join(home, 'vault.enc'), names: [] });
  });

  it('prints its version', async () => {
    const r = await run(['--version'], tempDir());
    expect(r).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
  });

  it('validates the installed example config', async () => {
    const home = tempDir();
    const example = path.join(installed, 'config/example.config.json');
    const r = await run(['config', 'validate', '--config', example], home, { SMG_WORKSPACE: home });
    expect(r.status, r.stderr + r.stdout).toBe(0);
  });

  it('serves a stdio session to a real MCP server, with telemetry and the Redis state store', async () => {
    const home = tempDir();
    const bodies: string[] = [];
    const collector = http.createServer((req, res) => {
      bodies.push(req.url ?? '');
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const configPath = path.join(home, 'config.json');
    fs.writeFileSync(
      configPath,
      JSON.stringify({
        servers: { everything: { command: process.execPath, args: [npmServer('everything')] } },
        telemetry: { otlp: { endpoint: `http://127.0.0.1:${port}`, exportIntervalMs: 200 } },
        state: { backend: 'redis', url: redis.url },
      }),
    );
    const transport = new StdioClientTransport({
      command,
      args: ['start', '--config', configPath],
      env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
      cwd: home,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: 'package-e2e', version: '1.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('everything__echo');
      const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'from the tarball' } });
      expect(textOf(echoed)).toContain('from the tarball');
      await expect.poll(() => bodies.includes('/v1/traces'), { timeout: 15_000 }).toBe(true);
      // The bundled ioredis (dist/vendor/ioredis.cjs) connected and wrote the shared state.
      expect(Number(redis.cli('dbsize'))).toBeGreaterThan(0);
    } finally {
      await client.close();
      collector.close();
    }
    expect(stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (?:module|package)/);
  });

  it('reads a PDF policy document and blocks by its rule', async () => {
    const home = tempDir();
    fs.writeFileSync(path.join(home, 'policies.pdf'), makePdf(ACME_POLICY_LINES));
    const configPath = path.join(home, 'config.json');
    fs.writeFileSync(
      configPath,
      JSON.stringify({
        servers: {},
        judges: { local: { baseUrl: fake.baseUrl, model: 'judge-model', timeoutMs: 5000 } },
        policyDocuments: ['policies.pdf'],
        policies: { judged: { judge: { policy: {} } } },
      }),
    );
    const input = path.join(home, 'result.json');
    fs.writeFileSync(input, JSON.stringify({ content: [{ type: 'text', text: 'Falcon is late.' }] }));
    const r = await run(['check', '--config', configPath, '--policy', 'judged', '--input', input], home);
    expect(r.status, r.stderr).toBe(5);
    expect(r.stdout).toContain('BLOCKED by judge.policy.policies.2');
    // pdfjs found no @napi-rs/canvas (not shipped, not needed for text) and says nothing about it.
    expect(r.stderr).not.toMatch(/Warning:|napi-rs|DOMMatrix/);
    // The rule text reached the judge from the PDF, so the document was read, not skipped.
    expect(
      fake.requests.some((q) => JSON.stringify(q.body).includes('Do not mention internal project code names')),
    ).toBe(true);
  });
});

describe('the bin', () => {
  it.each([
    [
      'dist/cli.js is missing',
      undefined,
      /^secure-mcp-gateway: dist\/cli\.js is missing: run `npm run build` in (.+) \(or install the package from npm pack\)\n$/,
    ],
    [
      'a module inside the bundle is missing',
      "import './chunks/gone.js';\n",
      /ERR_MODULE_NOT_FOUND[\s\S]*chunks\/gone\.js/,
    ],
  ])('exits 1 when %s, with the message that names the cause', (_case, cli, message) => {
    const dir = tempDir('smg-bin-');
    // A checkout as cloned: bin/ and package.json ("type": "module"), and dist/ only when a build left one.
    fs.cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    if (cli !== undefined) {
      fs.mkdirSync(path.join(dir, 'dist'));
      fs.writeFileSync(path.join(dir, 'dist/cli.js'), cli);
    }
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/secure-mcp-gateway.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    if (cli === undefined) expect(message.exec(r.stderr)?.[1]).toBe(dir);
    else expect(r.stderr).not.toContain('dist/cli.js is missing');
  });
});

describe('npm in the checkout', () => {
  it('warns about no unknown project config', () => {
    const r = npm(['pkg', 'get', 'name']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('"secure-mcp-gateway"');
    expect(r.stderr).not.toContain('Unknown project config');
  });
});
