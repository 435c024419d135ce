/**
 * The README's command lines, run (issue 17): every line of every ```sh block in README.md is either run here,
 * in a sandbox, or listed in NOT_RUN with the reason; a new line that is neither fails the test, so a doc line
 * cannot rot unnoticed. The sandbox is a temporary HOME (with a planted Claude Desktop config for "Protect your
 * client"), a temporary npm prefix for `npm install -g` whose bin/ comes first on PATH, no SMG_* variables, and
 * this machine's npm cache (prefer-offline: nothing is fetched that npm ci already cached). Lines run with bash
 * from the checkout, in README order, one sandbox per section; each must exit 0 and show one salient fact. The
 * README's JSON client entry is started as a client would start it and used for a real MCP session.
 * Needs the build (`npm run build`); the Inspector lines need @modelcontextprotocol/inspector@1.0.3, and for the
 * Node 22 variant node@22.23.3 and @modelcontextprotocol/inspector@2.12.0, from the npm cache or the registry.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { npmServer, ROOT, tempDir, textOf } from '../helpers/gateway.js';
import { readReadme, readmeItems, stripShellComment, type ReadmeItem } from '../helpers/readme-lines.js';

const README = path.join(ROOT, 'README.md');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TARBALL = path.join(ROOT, `secure-mcp-gateway-${VERSION}.tgz`);
/** npm's cache as this user has it, found before HOME moves to the sandbox. */
const NPM_CACHE = spawnSync('npm', ['config', 'get', 'cache'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();

/** The Inspector the README pins: the newest whose CLI runs on Node 20 and has --header. */
const INSPECTOR = 'npx -y @modelcontextprotocol/inspector@1.0.3';

/** The README's "on Node >= 22.19, the latest Inspector takes the same lines": 2.12.0 under Node 22 from npm. */
const LATEST_INSPECTOR = 'npx -y -p node@22.23.3 -p @modelcontextprotocol/inspector@2.12.0 -- mcp-inspector';

/** Lines that are not run, each with its reason. */
const NOT_RUN: Record<string, string> = {
  'npm ci && npm run demo': 'what CI runs before this suite; npm ci here would replace node_modules under the tests',
  'npm test': 'the suite this test is part of',
  'npm ci && npm run build':
    'CI installs and builds this checkout before the suite; a rebuild would delete dist/ under the e2e tests beside it',
  'npm install -g secure-mcp-gateway': 'after publication: the package is not in the npm registry yet (E404)',
  'npx -y secure-mcp-gateway config validate': 'after publication: the package is not in the npm registry yet (E404)',
  'npm run build': 'the suite runs on the build `npm test` made; a rebuild deletes dist/ under the other e2e tests',
  'npm run schema': 'rewrites config/schema.json in the checkout; `npm run build` checks it is current',
  'npm run test:unit': 'part of `npm test`',
  'npm run test:e2e': 'the suite this test is part of',
  'npm run coverage': 'part of `npm test`',
  'npm run bench': 'a benchmark: minutes of CPU, no pass or fail',
  'npm run attack-suite': 'a benchmark; its own e2e test (attack-suite.e2e.test.ts) runs it',
  'npm run bench:chaos': 'a benchmark: 20,000 calls under crashes',
  'npm run bench:serve': 'a benchmark: 50 HTTP sessions',
  'npm run eval': 'reads ../shared/datasets, which a user does not have',
  'npm run test:reference': 'reads ../shared/datasets, which a user does not have',
  'npm run train': 'reads ../shared/datasets and rewrites models/injection.bin',
  'npm run test:conformance': 'needs Node 22 from the registry; conformance.e2e.test.ts runs it',
};

interface Sandbox {
  home: string;
  prefix: string;
  env: Record<string, string>;
  claudeConfig: string;
  background: ChildProcess[];
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How a line is run (when not verbatim) and the fact it must show. */
interface Run {
  /** The command actually run, when it must differ from the README's; the reason is in `why`. */
  adapt?: { command: string; why: string };
  check(r: Ran, sb: Sandbox): void;
  /** An Inspector line: also run with LATEST_INSPECTOR, which the README says takes the same lines on Node 22. */
  latestToo?: boolean;
}

const INSPECTOR_TOOLS = (r: Ran) => {
  const list = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { tools: { name: string }[] };
  expect(list.tools.map((t) => t.name)).toContain('everything__echo');
};

const RUN: Record<string, Run> = {
  'npm install -g .': {
    check(r, sb) {
      // A link, not a copy: the global package is this checkout.
      expect(fs.realpathSync(path.join(sb.prefix, 'lib/node_modules/secure-mcp-gateway'))).toBe(fs.realpathSync(ROOT));
      const v = sh('secure-mcp-gateway --version', sb);
      expect(v.stdout.trim()).toBe(VERSION);
    },
  },
  'secure-mcp-gateway init --yes': {
    check(r, sb) {
      const cfg = readJson(path.join(sb.home, '.secure-mcp-gateway/config.json')) as { servers: object };
      expect(Object.keys(cfg.servers).sort()).toEqual(['filesystem', 'memory']);
    },
  },
  'secure-mcp-gateway install --client claude-desktop': {
    check(r, sb) {
      const cfg = readJson(sb.claudeConfig) as { mcpServers: Record<string, { args: string[] }> };
      expect(Object.keys(cfg.mcpServers)).toEqual(['secure-mcp-gateway']);
      // The linked install: the entry names this checkout's bin script.
      expect(cfg.mcpServers['secure-mcp-gateway']!.args[0]).toBe(
        path.join(fs.realpathSync(ROOT), 'bin/secure-mcp-gateway.js'),
      );
    },
  },
  'secure-mcp-gateway doctor': {
    check(r) {
      expect(r.stdout).toMatch(/✓ client claude-desktop.*routes through the gateway/);
    },
  },
  'secure-mcp-gateway scan --clients': {
    check(r) {
      expect(r.stdout).toMatch(/Claude Desktop: .* 1 server, routes through the gateway/);
      expect(r.stdout).toContain('0 findings');
    },
  },
  'npm pack': {
    adapt: {
      command: 'npm pack --ignore-scripts',
      why: 'prepack rebuilds dist/, which would delete it under the e2e tests beside this one; the suite built it',
    },
    check() {
      expect(fs.existsSync(TARBALL)).toBe(true);
    },
  },
  [`npm install -g ./secure-mcp-gateway-${VERSION}.tgz`]: {
    check(r, sb) {
      // A copy this time: the built bundle carries every dependency but the optional OS-keychain binding (native
      // code), which is the only thing installed beside it.
      const pkg = path.join(sb.prefix, 'lib/node_modules/secure-mcp-gateway');
      expect(fs.lstatSync(pkg).isSymbolicLink()).toBe(false);
      expect(fs.existsSync(path.join(pkg, 'dist/cli.js'))).toBe(true);
      expect(fs.readdirSync(path.join(pkg, 'node_modules'))).toEqual(['@napi-rs']);
      expect(fs.existsSync(path.join(pkg, 'config/example.config.json'))).toBe(true);
      expect(sh('secure-mcp-gateway --version', sb).stdout.trim()).toBe(VERSION);
    },
  },
  'mkdir -p ~/.secure-mcp-gateway ~/mcp-workspace': {
    check(r, sb) {
      expect(fs.statSync(path.join(sb.home, 'mcp-workspace')).isDirectory()).toBe(true);
    },
  },
  'cp "$(npm root -g)/secure-mcp-gateway/config/example.config.json" ~/.secure-mcp-gateway/config.json': {
    check(r, sb) {
      expect(fs.readFileSync(path.join(sb.home, '.secure-mcp-gateway/config.json'), 'utf8')).toBe(
        fs.readFileSync(path.join(ROOT, 'config/example.config.json'), 'utf8'),
      );
    },
  },
  'export SMG_WORKSPACE=~/mcp-workspace': {
    check(r, sb) {
      expect(sb.env.SMG_WORKSPACE).toBe(path.join(sb.home, 'mcp-workspace'));
    },
  },
  'secure-mcp-gateway config validate': {
    check(r, sb) {
      expect(r.stdout).toContain(`${path.join(sb.home, '.secure-mcp-gateway/config.json')}: valid`);
      expect(r.stdout).toMatch(/fs\s+stdio: npx -y @modelcontextprotocol\/server-filesystem .*mcp-workspace/);
    },
  },
  [`${INSPECTOR} --cli -e SMG_WORKSPACE="$SMG_WORKSPACE" --method tools/list -- secure-mcp-gateway`]: {
    latestToo: true,
    check: INSPECTOR_TOOLS,
  },
  [`${INSPECTOR} --cli --tool-arg message=hello -e SMG_WORKSPACE="$SMG_WORKSPACE" --method tools/call --tool-name everything__echo -- secure-mcp-gateway`]:
    {
      latestToo: true,
      check(r) {
        expect(r.stdout).toContain('Echo: hello');
      },
    },
  [`${INSPECTOR} --cli -e SMG_WORKSPACE="$SMG_WORKSPACE" --method tools/list -- node bin/secure-mcp-gateway.js --config config/example.config.json`]:
    { latestToo: true, check: INSPECTOR_TOOLS },
  'secure-mcp-gateway init --yes --with-key you@example.com': {
    check(r, sb) {
      const key = path.join(sb.home, '.secure-mcp-gateway/secrets/gateway-key');
      expect(fs.statSync(key).mode & 0o777).toBe(0o600);
      expect(r.stdout).toContain('users.you@example.com');
    },
  },
  'secure-mcp-gateway serve --port 8787 &': {
    check(r) {
      expect(r.stdout).toContain('listening on http://127.0.0.1:8787/mcp');
    },
  },
  [`${INSPECTOR} --cli --transport http --header "Authorization: Bearer $(cat ~/.secure-mcp-gateway/secrets/gateway-key)" --method tools/list -- http://127.0.0.1:8787/mcp`]:
    { latestToo: true, check: INSPECTOR_TOOLS },
};

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function sh(command: string, sb: Sandbox): Ran {
  const r = spawnSync('bash', ['-c', command], {
    cwd: ROOT,
    env: sb.env,
    input: '',
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A background line (`cmd &`): started, and read until it says it listens. */
async function background(command: string, sb: Sandbox): Promise<Ran> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd: ROOT, env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.background.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command}: no "listening" in 30 s\n${stderr}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited ${String(code)}\n${stderr}`));
    });
  });
  return { code: 0, stdout, stderr };
}

function makeSandbox(withClient: boolean): Sandbox {
  const home = tempDir('smg-readme-');
  const prefix = path.join(home, '.npm-global');
  fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'lib'), { recursive: true });
  const claudeConfig = path.join(home, '.config/Claude/claude_desktop_config.json');
  if (withClient) {
    // A user's Claude Desktop with two real MCP servers, from this checkout so that nothing is downloaded.
    fs.mkdirSync(path.dirname(claudeConfig), { recursive: true });
    fs.mkdirSync(path.join(home, 'notes'));
    fs.writeFileSync(
      claudeConfig,
      JSON.stringify(
        {
          mcpServers: {
            filesystem: { command: process.execPath, args: [npmServer('filesystem'), path.join(home, 'notes')] },
            memory: { command: process.execPath, args: [npmServer('memory')] },
          },
        },
        null,
        2,
      ) + '\n',
    );
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // SMG_* unset; no npm_* of the test runner's own npm (its prefix, its package); XDG paths follow HOME.
    if (v === undefined || /^(SMG_|npm_|XDG_|INIT_CWD$|VITEST|NODE_OPTIONS$)/i.test(k)) continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    PATH: `${path.join(prefix, 'bin')}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_prefix: prefix,
    npm_config_cache: NPM_CACHE,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  });
  const sb: Sandbox = { home, prefix, env, claudeConfig, background: [] };
  made.push(sb);
  return sb;
}

const sandboxes = new Map<string, Sandbox>();
function sandboxFor(section: string): Sandbox {
  let sb = sandboxes.get(section);
  if (!sb) {
    sb = makeSandbox(section === 'Protect your client');
    sandboxes.set(section, sb);
  }
  return sb;
}

/** Every sandbox made, to remove (each holds an installed copy of the package). */
const made: Sandbox[] = [];

afterAll(async () => {
  for (const sb of made) {
    for (const child of sb.background) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(sb.home, { recursive: true, force: true });
  }
  fs.rmSync(TARBALL, { force: true });
});

const items = readReadme(README);
const commands = items.filter((i) => i.kind === 'sh');

describe('README command lines', () => {
  it.each([
    ['npm ci && npm run demo     # comment', 'npm ci && npm run demo'],
    ['x --header "a # b" # c', 'x --header "a # b"'],
    ["echo '#x' a#b ${file:p#K}", "echo '#x' a#b ${file:p#K}"],
    ['# only a comment', ''],
  ])('strips the shell comment of %j', (line, code) => {
    expect(stripShellComment(line)).toBe(code);
  });

  it('joins continued lines and names the section', () => {
    const got = readmeItems('## A\n```sh\nnpx x \\\n  --y z   # c\n# note\nb\n```\n## B\n```json\n{}\n```\n');
    expect(got).toEqual([
      { kind: 'sh', section: 'A', lineNo: 3, text: 'npx x --y z' },
      { kind: 'sh', section: 'A', lineNo: 6, text: 'b' },
      { kind: 'json', section: 'B', lineNo: 10, text: '{}' },
    ]);
    expect(() => readmeItems('```sh\nx\n')).toThrow(/not closed/);
  });

  it('classifies every line: run here, or not run for a stated reason', () => {
    const unclassified = commands.filter((c) => !(c.text in RUN) && !(c.text in NOT_RUN));
    expect(unclassified.map((c) => `README.md:${c.lineNo}: ${c.text}`)).toEqual([]);
    // And the tables name no line that left the README.
    const texts = new Set(commands.map((c) => c.text));
    expect([...Object.keys(RUN), ...Object.keys(NOT_RUN)].filter((l) => !texts.has(l))).toEqual([]);
  });

  it('runs "Protect your client" and "Install and use" in a sandbox, line by line', async () => {
    const ran: string[] = [];
    for (const item of items) {
      if (item.section !== 'Protect your client' && item.section !== 'Install and use') continue;
      const sb = sandboxFor(item.section);
      if (item.kind === 'json') {
        await clientEntry(item, sb);
        ran.push(`README.md:${item.lineNo}: the mcpServers entry`);
        continue;
      }
      const run = RUN[item.text];
      if (!run) continue; // in NOT_RUN, checked above
      const where = `README.md:${item.lineNo}: ${item.text}`;
      const command = run.adapt?.command ?? item.text;
      let r: Ran;
      const exported = /^export (\w+)=(.*)$/.exec(command);
      if (exported) {
        // The next lines run in their own shells: keep the exported value for them.
        r = sh(`${command}; printf %s "$${exported[1]!}"`, sb);
        sb.env[exported[1]!] = r.stdout;
      } else if (command.endsWith(' &')) {
        r = await background(command.slice(0, -2), sb);
      } else {
        r = sh(command, sb);
      }
      expect({ where, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ where, code: 0, stderr: '' });
      run.check(r, sb);
      if (run.latestToo) {
        const latest = sh(command.replace(INSPECTOR, LATEST_INSPECTOR), sb);
        expect({ where, latest: latest.code, stderr: latest.code === 0 ? '' : latest.stderr }).toEqual({
          where,
          latest: 0,
          stderr: '',
        });
        run.check(latest, sb);
      }
      ran.push(where);
    }
    // Every runnable line of these sections ran (a line outside them in RUN would be a mistake).
    expect(ran.length).toBe(Object.keys(RUN).length + 1 + 1); // `npm install -g .` is in both sections; + the JSON
  }, 600_000);

  // The README explains its Inspector lines by these two failures; they pin that the explanation is still true.
  it.each([
    [
      'the gateway options before --',
      `${INSPECTOR} --cli node bin/secure-mcp-gateway.js --config config/example.config.json --method tools/list`,
      // 1.0.3 reads the gateway's config as its own client config (0.15.0: "Both --config and --server must be …").
      'No servers found in config file',
    ],
    [
      '--tool-arg last among its options',
      `${INSPECTOR} --cli --method tools/call --tool-name everything__echo --tool-arg message=hello -- node bin/secure-mcp-gateway.js --config config/example.config.json`,
      'Invalid parameter format: node',
    ],
  ])('the Inspector fails with %s, as the README says', (_name, command, message) => {
    const sb = makeSandbox(false);
    sb.env.SMG_WORKSPACE = sb.home;
    const r = sh(command, sb);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(message);
  });
});

/** The README's client entry, started as a client starts it (its env on top of HOME and PATH), used over MCP. */
async function clientEntry(item: ReadmeItem, sb: Sandbox): Promise<void> {
  const cfg = JSON.parse(item.text) as {
    mcpServers: Record<string, { command: string; args?: string[]; env?: Record<string, string> }>;
  };
  const entry = Object.values(cfg.mcpServers)[0]!;
  // `/home/you` is the README's stand-in for the reader's home folder.
  const env = Object.fromEntries(Object.entries(entry.env ?? {}).map(([k, v]) => [k, v.replace('/home/you', sb.home)]));
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args ?? [],
    env: { HOME: sb.home, PATH: sb.env.PATH!, npm_config_cache: NPM_CACHE, ...env },
    cwd: ROOT,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'readme-client', version: '1.0.0' });
  await client.connect(transport);
  try {
    // Upstreams that start slowly (npx) join later with list_changed, as a client would see them: ask again.
    const want = ['everything__echo', 'fs__list_directory'];
    let names: string[] = [];
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
      names = (await client.listTools()).tools.map((t) => t.name);
      if (want.every((n) => names.includes(n))) break;
    }
    expect(names).toEqual(expect.arrayContaining(want));
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'from the README' } });
    expect(textOf(echo)).toContain('from the README');
  } finally {
    await client.close();
  }
}
