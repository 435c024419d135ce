/**
 * `npm run test:conformance` (issue 9): the MCP conformance suite (@modelcontextprotocol/conformance, run with the
 * Node 22 binary of the `node` package, pinned and fetched from the npm registry with npx, since the suite needs Node
 * 22 or later) against the BUILT gateway.
 *
 * Server mode: `serve` with a gateway key, fronting test/fixtures/conformance-server.ts. The suite's client cannot
 * send a bearer token, and it calls tools and prompts by their upstream names; a small loopback proxy adds
 * `Authorization: Bearer <key>` and the `conformance__` prefix those names have on the gateway (see gatewayProxy),
 * and passes everything else (Host and Origin included, so the DNS-rebinding checks reach `serve`) unchanged.
 *
 * Client mode: the suite starts its test servers, and test/conformance/client.ts points the gateway's upstream HTTP
 * client at each one (a config with a `url` server) and drives it through the gateway over stdio; for the auth
 * scenarios it first signs in with `secure-mcp-gateway auth login` and the headless browser (issue 18).
 *
 * Every scenario must pass unless test/conformance/baseline.json lists it, with a reason. A failure that is not
 * listed fails the run (exit 1); a listed scenario that now passes is reported, so that the baseline can shrink.
 * Env: CONFORMANCE_VERBOSE=1 prints the suite's output; CONFORMANCE_NODE=<path> runs it with another Node (22+);
 * CONFORMANCE_ONLY=<prefix> runs only the scenarios whose name starts with it (e.g. `auth/`), for work on one area.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyStore } from '../../src/identity/keys.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');
/** The Node 22 release the suite runs on: the `node` npm package of that version brings its binary. */
const NODE22_VERSION = '22.23.3';
/** Set in main(): the Node 22 binary the suite runs on. */
let NODE22 = '';
const SUITE_DIR = path.join(ROOT, 'node_modules/@modelcontextprotocol/conformance');
const BASELINE = path.join(ROOT, 'test/conformance/baseline.json');
const VERBOSE = process.env.CONFORMANCE_VERBOSE === '1';
const ONLY = process.env.CONFORMANCE_ONLY ?? '';

type Mode = 'server' | 'client';
/** test/conformance/baseline.json: scenario → why it fails; client scenarios that do not apply → why. */
interface Baseline {
  server: Record<string, string>;
  client: Record<string, string>;
  notApplicable: { client: Record<string, string> };
}
interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}
interface Outcome {
  scenario: string;
  passed: boolean;
  failures: string[];
  /** Checks with status WARNING (a SHOULD not met): reported, not failed. */
  warnings: string[];
}

/** The suite's command-line entry, from its package.json `bin`. */
function suiteEntry(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(SUITE_DIR, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
  if (!bin) throw new Error('@modelcontextprotocol/conformance has no bin entry');
  return path.join(SUITE_DIR, bin);
}

function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (c: Buffer) => {
      output += c.toString();
      if (VERBOSE) process.stderr.write(c);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The scenarios of each mode as `conformance list` prints them ("  - name [versions]"), with their spec tags. */
async function scenarios(entry: string, cwd: string): Promise<Record<Mode, { name: string; tags: string[] }[]>> {
  const { code, output } = await run(NODE22, [entry, 'list'], { cwd });
  if (code !== 0) throw new Error(`conformance list failed:\n${output}`);
  const out: Record<Mode, { name: string; tags: string[] }[]> = { server: [], client: [] };
  let mode: Mode | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('Server scenarios')) mode = 'server';
    else if (line.startsWith('Client scenarios')) mode = 'client';
    const m = /^\s+- (\S+)(?: \[([^\]]*)\])?/.exec(line);
    if (m && mode) out[mode].push({ name: m[1]!, tags: (m[2] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/** Reads the checks of every scenario the suite wrote under `dir` (<dir>/<mode>-<scenario>-<timestamp>/checks.json). */
function readChecks(dir: string, mode: Mode): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    const folder = path.relative(dir, entry.parentPath);
    const scenario = folder.replace(new RegExp(`^${mode}-`), '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
    const checks = JSON.parse(fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8')) as Check[];
    out.set(scenario, [...(out.get(scenario) ?? []), ...checks]);
  }
  return out;
}

/**
 * Client scenarios in which the client is expected to fail (the suite marks them `allowClientError`): what is judged
 * is how often it retries a refused scope (scope-retry-limit) or that it refuses to sign in at all when the server's
 * resource metadata names another resource (resource-mismatch: `auth login` exits 1 before any authorization request).
 */
const CLIENT_MAY_FAIL = new Set(['auth/scope-retry-limit', 'auth/resource-mismatch']);

/**
 * Judges a scenario by its checks: any FAILURE fails it, and so does a scenario that recorded no checks. In client
 * mode a client that exits non-zero or times out fails it too (unless CLIENT_MAY_FAIL): the suite's auth scenarios
 * record no check for the MCP requests after the sign-in, so a gateway that never used its token would pass on
 * checks alone.
 */
function outcome(scenario: string, checks: Check[] | undefined, output: string, mode: Mode = 'server'): Outcome {
  const failures = (checks ?? [])
    .filter((c) => c.status === 'FAILURE')
    .map((c) => `${c.id}: ${c.errorMessage ?? 'failed'}`);
  if (!checks?.length) failures.push(`no checks recorded: ${output.trim().split('\n').slice(-3).join(' | ')}`);
  const exited = /^Client exited with code (-?\d+)/m.exec(output)?.[1];
  if (mode === 'client' && !CLIENT_MAY_FAIL.has(scenario)) {
    if (exited !== undefined) failures.push(`the client (gateway) exited with code ${exited}`);
    if (/^Client timed out/m.test(output)) failures.push('the client (gateway) timed out');
  }
  const warnings = (checks ?? [])
    .filter((c) => c.status === 'WARNING')
    .map((c) => `${c.id}: ${c.errorMessage ?? 'warning'}`);
  return { scenario, passed: failures.length === 0, failures, warnings };
}

/** Runs the suite once (one scenario, or the whole active suite) into a fresh results folder. */
async function runSuite(
  entry: string,
  mode: Mode,
  args: string[],
): Promise<{ checks: Map<string, Check[]>; output: string }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-conformance-'));
  try {
    const { output } = await run(NODE22, [entry, mode, ...args, '-o', path.join(cwd, 'results')], { cwd });
    return { checks: readChecks(path.join(cwd, 'results'), mode), output };
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * The suite's scenarios call tools, prompts and completions by their upstream names (test_simple_text); a client of
 * the gateway uses the names tools/list gives it (conformance__test_simple_text). This adds the prefix to the name
 * in those requests, as such a client would, and changes nothing else: one JSON-RPC message or a batch.
 */
function exposeNames(body: string, prefix: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const rename = (name: unknown) => (typeof name === 'string' && !name.startsWith(prefix) ? prefix + name : name);
  for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
    const m = msg as { method?: unknown; params?: { name?: unknown; ref?: { type?: unknown; name?: unknown } } };
    if (!m?.params) continue;
    if (m.method === 'tools/call' || m.method === 'prompts/get') m.params.name = rename(m.params.name);
    if (m.method === 'completion/complete' && m.params.ref?.type === 'ref/prompt')
      m.params.ref.name = rename(m.params.ref.name);
  }
  return JSON.stringify(parsed);
}

/**
 * A loopback proxy in front of `serve`: it adds the gateway key to every request (the suite cannot send one) and
 * exposes names in request bodies (exposeNames); headers, Host and Origin included, pass unchanged, and responses
 * (SSE included) stream back as they come.
 */
async function gatewayProxy(target: URL, key: string, prefix: string) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = req.method === 'POST' ? Buffer.from(exposeNames(raw, prefix)) : Buffer.concat(chunks);
      const headers = { ...req.headers, authorization: `Bearer ${key}` };
      if (req.method === 'POST') headers['content-length'] = String(body.length);
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts the built gateway's `serve` with the conformance fixture and one key; resolves with its URL. */
async function startServe(home: string): Promise<{ proc: ChildProcess; url: URL; key: string }> {
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      servers: {
        conformance: {
          command: process.execPath,
          args: ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'test/fixtures/conformance-server.ts')],
        },
      },
      projects: { conformance: { servers: ['conformance'] } },
      users: { 'conformance@example.com': {} },
      roles: { developer: { servers: { '*': {} } } },
      memberships: { conformance: { 'conformance@example.com': 'developer' } },
      log: { level: 'warn', file: false },
    }),
  );
  const { key } = new KeyStore({ file: path.join(home, 'keys.json') }).create({
    project: 'conformance',
    user: 'conformance@example.com',
  });
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (VERBOSE) process.stderr.write(c);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000);
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const found = /listening on (\S+)/.exec(stdout)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  }).catch((error: unknown) => {
    proc.kill('SIGKILL');
    throw error;
  });
  return { proc, url: new URL(url), key };
}

async function serverMode(entry: string, names: string[]): Promise<Outcome[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-conformance-home-'));
  const serve = await startServe(home);
  const proxy = await gatewayProxy(serve.url, serve.key, 'conformance__');
  try {
    // Every server scenario (the suite's pending ones too) in one run, against one gateway and one upstream process.
    const { checks, output } = await runSuite(entry, 'server', ['--url', proxy.url, '--suite', 'all']);
    // The suite's summary names each scenario it ran ("✓ name: …" / "✗ name: …").
    const ran = new Set([...output.matchAll(/^[✓✗] (\S+):/gm)].map((m) => m[1]!));
    for (const name of names) if (!ran.has(name)) console.log(`server scenario ${name} not run by the suite`);
    return names.filter((name) => ran.has(name)).map((name) => outcome(name, checks.get(name), output));
  } finally {
    await proxy.close();
    serve.proc.kill('SIGTERM');
    await new Promise((resolve) => serve.proc.once('exit', resolve));
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function clientMode(entry: string, names: string[]): Promise<Outcome[]> {
  const tsx = import.meta.resolve('tsx');
  const command = `${process.execPath} --import ${tsx} ${path.join(ROOT, 'test/conformance/client.ts')}`;
  const outcomes: Outcome[] = [];
  for (const name of names) {
    const { checks, output } = await runSuite(entry, 'client', [
      '--command',
      command,
      '--scenario',
      name,
      '--timeout',
      '60000',
    ]);
    outcomes.push(outcome(name, checks.get(name), output, 'client'));
  }
  return outcomes;
}

/** Compares outcomes with the baseline; returns the number of unexpected failures. */
function judge(mode: Mode, outcomes: Outcome[], baseline: Record<string, string>): number {
  let unexpected = 0;
  const passed = outcomes.filter((o) => o.passed).length;
  console.log(`\n${mode} mode: ${passed}/${outcomes.length} scenarios passed`);
  for (const o of outcomes) {
    const reason = baseline[o.scenario];
    if (o.passed && reason !== undefined)
      console.log(`  PASS ${o.scenario} (baselined: it passes now; remove it from baseline.json)`);
    else if (o.passed) console.log(`  PASS ${o.scenario}`);
    if (o.passed) for (const w of o.warnings) console.log(`       warning ${w}`);
    else if (reason !== undefined) console.log(`  expected failure ${o.scenario}: ${reason}`);
    else {
      unexpected++;
      console.log(`  FAIL ${o.scenario}`);
      for (const f of o.failures) console.log(`       ${f}`);
    }
  }
  return unexpected;
}

/** A scenario the baseline marks as not applicable ("auth/*" matches every auth scenario). */
function skipReason(name: string, skip: Record<string, string>): string | undefined {
  for (const [pattern, reason] of Object.entries(skip))
    if (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern) return reason;
  return undefined;
}

/**
 * The path of a Node 22 binary: CONFORMANCE_NODE, else the pinned `node` package from the npm registry (npx keeps it in
 * its cache, so only the first run downloads it). A platform-specific binary cannot be a devDependency: `npm ci` would
 * fail on every other platform.
 */
function node22(): string {
  if (process.env.CONFORMANCE_NODE) return process.env.CONFORMANCE_NODE;
  const r = spawnSync('npx', ['-y', '-p', `node@${NODE22_VERSION}`, 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
  });
  const found = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !found) {
    console.error(`conformance: could not get Node ${NODE22_VERSION} with npx: ${r.stderr.trim().slice(-400)}`);
    return '';
  }
  return found;
}

async function main(): Promise<number> {
  NODE22 = node22();
  for (const [file, what] of [
    [NODE22, `a Node 22 binary (node@${NODE22_VERSION} through npx, or CONFORMANCE_NODE)`],
    [SUITE_DIR, '@modelcontextprotocol/conformance (devDependency)'],
    [BIN, 'the built gateway (npm run build)'],
  ] as const)
    if (!file || !fs.existsSync(file)) {
      console.error(`conformance: missing ${what}: ${file}`);
      return 1;
    }
  const baseline = JSON.parse(fs.readFileSync(BASELINE, 'utf8')) as Baseline;
  const entry = suiteEntry();
  const started = Date.now();
  const listed = await scenarios(entry, ROOT);
  // Scenarios of a dated spec version; of the draft and extension scenarios only the auth ones (issue 18: they say
  // which parts of the coming OAuth rules the gateway's client already follows; each is passed or baselined).
  const dated = (s: { tags: string[] }) => s.tags.some((t) => /^\d{4}-\d\d-\d\d$/.test(t));
  const serverNames = listed.server.filter(dated).map((s) => s.name);
  const clientNames: string[] = [];
  for (const s of listed.client.filter((s) => dated(s) || s.name.startsWith('auth/'))) {
    const reason = skipReason(s.name, baseline.notApplicable.client);
    if (reason === undefined) clientNames.push(s.name);
    else console.log(`client scenario ${s.name} not run: ${reason}`);
  }
  for (const mode of ['server', 'client'] as const)
    for (const name of Object.keys(baseline[mode]))
      if (name.startsWith(ONLY) && !(mode === 'server' ? serverNames : clientNames).includes(name))
        console.log(`baseline lists ${mode} scenario ${name}, which was not run: remove it`);

  const only = (names: string[]) => names.filter((n) => n.startsWith(ONLY));
  const server = only(serverNames).length ? await serverMode(entry, only(serverNames)) : [];
  const client = await clientMode(entry, only(clientNames));
  const unexpected = judge('server', server, baseline.server) + judge('client', client, baseline.client);
  const all = [...server, ...client];
  console.log(
    `\nconformance: ${all.filter((o) => o.passed).length}/${all.length} scenarios passed, ` +
      `${unexpected} unexpected failure(s), ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return unexpected === 0 ? 0 : 1;
}

process.exitCode = await main();
