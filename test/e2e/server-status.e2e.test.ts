/**
 * Servers that list no tools are never silent (issue 17, items 3 and 4), with the built gateway and real fixture
 * servers. A server whose `${env:}` reference cannot be resolved costs that server only: initialize succeeds, the
 * others serve, and the reason reaches the client (a log notification and the status tool), gateway.log, `config
 * validate` and `doctor`, in the same words. A server still starting is named in the first tool list's status and a
 * log notification, and list_changed brings its tools. `serve` does the same and says so at start-up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BIN,
  fixtureServer,
  logLines,
  nonJsonRpcLines,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';
import { identityConfig, makeKey } from '../helpers/identity.js';
import { httpClient, startServe, type ServeProcess } from '../helpers/serve.js';
import { REFUSE_INITIALIZE } from '../support/refuse-initialize.js';

const STATUS_TOOL = '_gateway_status';
const UNSET = 'SMG_E2E_UNSET_TOKEN';
const SET = 'SMG_E2E_SET_SECRET';
const SECRET = 'sk-e2e-9f8e7d6c5b4a39281706';
const REASON = `at servers.bad.env.TOKEN: environment variable ${UNSET} is not set (referenced as \${env:${UNSET}})`;
const UNAVAILABLE = `server "bad" is unavailable: ${REASON}`;
const FIX = `set ${UNSET} in the environment the client starts the gateway with`;

/** The notifications the gateway wrote to stdout, by method. */
function notifications(gw: SpawnedGateway, method: string): { level?: string; logger?: string; data?: unknown }[] {
  return gw.stdoutLines
    .map((l) => JSON.parse(l) as { method?: string; params?: { level?: string; logger?: string; data?: unknown } })
    .filter((m) => m.method === method)
    .map((m) => m.params ?? {});
}

const gatewayLogs = (gw: SpawnedGateway) => notifications(gw, 'notifications/message');

async function errorOf(call: Promise<unknown>): Promise<McpError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(McpError);
  return outcome as McpError;
}

const names = (tools: Tool[]) => tools.map((t) => t.name).sort();

function configWithBadServer() {
  return {
    servers: {
      good: { ...fixtureServer('slow-start-server.ts'), env: { TOOLS: 'alpha,beta' } },
      // Its other reference resolves: that value must never appear anywhere.
      bad: {
        ...fixtureServer('slow-start-server.ts'),
        env: { TOOLS: 'gamma', TOKEN: `\${env:${UNSET}}`, OTHER: `\${env:${SET}}` },
      },
    },
  };
}

/** The tools of the first list (asked again every 300 ms or so) that has `name`. */
async function listedWith(gw: SpawnedGateway, name: string): Promise<Tool[]> {
  const end = Date.now() + 30_000;
  for (;;) {
    const { tools } = await gw.client.listTools();
    if (tools.some((t) => t.name === name) || Date.now() > end) return tools;
  }
}

/** A server up at once and one that sleeps 8 s before it speaks; a list waits 300 ms for servers without one. */
function slowConfig() {
  return {
    servers: {
      fast: { ...fixtureServer('slow-start-server.ts'), env: { TOOLS: 'alpha' } },
      slow: { ...fixtureServer('slow-start-server.ts'), env: { TOOLS: 'beta', STARTUP_DELAY_MS: '8000' } },
    },
    upstreams: { listWaitMs: 300 },
  };
}

function run(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, [SET]: SECRET },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let serving: ServeProcess | undefined;
afterEach(async () => {
  if (serving) expect(await serving.stop()).toBe(0);
  serving = undefined;
});

describe('a server with an unresolvable reference', () => {
  it('costs that server only: the others serve, and the client, gateway.log and the status tool say why', async () => {
    const gw = await startGateway(configWithBadServer(), { env: { [SET]: SECRET } });
    const { tools } = await gw.client.listTools();
    expect(names(tools)).toEqual([STATUS_TOOL, 'good__alpha', 'good__beta']);
    const status = tools.find((t) => t.name === STATUS_TOOL)!;
    expect(status.annotations?.readOnlyHint).toBe(true);
    expect(status.description).toContain(`- unavailable: bad: ${REASON}. Fix: ${FIX}`);

    // The status tool's call says the same as its description.
    const called = textOf(await gw.client.callTool({ name: STATUS_TOOL, arguments: {} }));
    expect(called).toContain(`- unavailable: bad: ${REASON}`);
    expect(status.description).toContain(called);

    // One log notification from the gateway's own logger, at error level, naming the server and the variable.
    const logged = await waitFor(() => {
      const l = gatewayLogs(gw).filter((n) => n.logger === 'secure-mcp-gateway');
      return l.length > 0 && l;
    });
    expect(logged).toEqual([{ level: 'error', logger: 'secure-mcp-gateway', data: expect.stringContaining(REASON) }]);
    expect(String(logged[0]!.data)).toMatch(/^unavailable: bad: /);

    // The unavailable server's tools are unknown, the others work.
    const unknown = await errorOf(gw.client.callTool({ name: 'bad__gamma', arguments: {} }));
    expect(unknown.code).toBe(ErrorCode.InvalidParams);
    expect(unknown.message).toMatch(/Unknown tool: bad__gamma/);
    expect(textOf(await gw.client.callTool({ name: 'good__alpha', arguments: {} }))).toBe('alpha');

    expect((await gw.closeStdin()).code).toBe(0);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    // gateway.log has it at error level, with the JSON path; the resolved value is nowhere.
    const logText = fs.readFileSync(path.join(gw.home, 'gateway.log'), 'utf8');
    for (const where of [logText, gw.stderr(), gw.stdoutLines.join('\n')]) expect(where).not.toContain(SECRET);
    const file = logText
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; server?: string; paths?: string[] });
    expect(file).toContainEqual(
      expect.objectContaining({ level: 50, server: 'bad', paths: ['servers.bad.env.TOKEN'], msg: UNAVAILABLE }),
    );
  });

  it('is a warning in `config validate` and `doctor`, in the same words, with the fix', () => {
    const home = tempDir();
    const file = path.join(home, 'config.json');
    fs.writeFileSync(file, JSON.stringify(configWithBadServer()));

    const validate = run(home, 'config', 'validate', '--config', file);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/^\s+bad\s+unavailable \(see below\)$/m);
    expect(validate.stdout).toContain(`⚠ ${UNAVAILABLE}\n  fix: ${FIX}`);
    expect(run(home, 'config', 'validate', '--strict', '--config', file).code).toBe(1);

    const doctor = run(home, 'doctor', '--config', file);
    const line = (subject: string, detail: string) =>
      new RegExp(`^⚠ ${subject} +${detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
    expect(doctor.stdout).toMatch(line('config', UNAVAILABLE));
    expect(doctor.stdout).toMatch(line('references', REASON));
    expect(doctor.stdout).toMatch(line('upstream bad', `not started: ${REASON}`));
    expect(doctor.stdout).toMatch(/^✓ upstream good +2 tools/m);
    expect(doctor.stdout).toContain(`fix: ${FIX}`);
    expect(doctor.stdout).not.toMatch(/^✗ .*bad/m);
    for (const out of [validate, doctor]) expect(out.stdout + out.stderr).not.toContain(SECRET);
  });

  it('reports a schema problem the same way in `config validate` and `doctor` (unknown field, not zod words)', () => {
    const home = tempDir();
    const file = path.join(home, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ servers: { fs: { command: 'x', environment: {} } } }));
    const validate = run(home, 'config', 'validate', '--config', file);
    expect(validate.code).toBe(4);
    expect(validate.stderr).toContain('  at servers.fs: unknown field "environment"');
    const doctor = run(home, 'doctor', '--config', file);
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/^✗ config +.*config\.json: at servers\.fs: unknown field "environment"$/m);
    expect(doctor.stdout).not.toMatch(/Unrecognized key/);
  });

  it('refuses the whole config when the reference is outside servers (state)', () => {
    const home = tempDir();
    const file = path.join(home, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ ...configWithBadServer(), state: { backend: 'redis', url: `\${env:${UNSET}}` } }),
    );
    const r = run(home, '--config', file);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`at state.url: environment variable ${UNSET} is not set`);
  });

  it('serve: the others serve, the start-up log names it, and the status tool says why', async () => {
    const home = tempDir();
    const base = identityConfig();
    const config = {
      ...base,
      servers: { ...base.servers, bad: configWithBadServer().servers.bad },
      projects: { ...base.projects, one: { servers: ['alpha', 'bad'] } },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    const { key } = makeKey(home, 'one', 'alice@example.com');
    serving = await startServe(config, { home, env: { [SET]: SECRET } });
    // The URL comes on stdout, the log on stderr: two pipes, so the log line may arrive a little later.
    const started = serving;
    await waitFor(() => started.logs().some((l) => l.msg?.startsWith('serve: listening')));
    expect(serving.logs()).toContainEqual(
      expect.objectContaining({ msg: 'serve: listening; unavailable: bad', unavailable: ['bad'] }),
    );
    expect(serving.logs()).toContainEqual(expect.objectContaining({ level: 50, msg: UNAVAILABLE }));
    const { client } = await httpClient(serving.url, key);
    const { tools } = await client.listTools();
    expect(names(tools)).toContain('alpha__whoami');
    expect(names(tools)).toContain(STATUS_TOOL);
    expect(names(tools).filter((n) => n.startsWith('bad__'))).toEqual([]);
    expect(tools.find((t) => t.name === STATUS_TOOL)!.description).toContain(`- unavailable: bad: ${REASON}`);
    await client.close();
  });
});

describe('a server that starts slowly', () => {
  it('is named as starting in the first list, and list_changed brings its tools and removes the status', async () => {
    const gw = await startGateway(slowConfig());
    // Lists answered while the fast one is up (and its list checked), the slow one still asleep.
    const first = await listedWith(gw, 'fast__alpha');
    expect(names(first)).toEqual([STATUS_TOOL, 'fast__alpha']);
    expect(first.find((t) => t.name === STATUS_TOOL)!.description).toContain('- starting: slow: ');
    const warned = gatewayLogs(gw).filter((n) => n.logger === 'secure-mcp-gateway' && n.level === 'warning');
    expect(warned).toContainEqual({
      level: 'warning',
      logger: 'secure-mcp-gateway',
      data: 'starting: slow: its tools are added when it is ready (the tool list then changes)',
    });
    // Told once, not on every list.
    expect(warned.filter((n) => String(n.data).startsWith('starting: slow')).length).toBe(1);
    // (A list_changed may already have come for the fast one, if a list went out before it.)
    const changed = notifications(gw, 'notifications/tools/list_changed').length;

    await waitFor(() => notifications(gw, 'notifications/tools/list_changed').length > changed, 30_000);
    const next = await gw.client.listTools();
    expect(names(next.tools)).toEqual(['fast__alpha', 'slow__beta']);
    expect(gatewayLogs(gw)).toContainEqual({
      level: 'info',
      logger: 'secure-mcp-gateway',
      data: 'ready: slow: its tools are in the list now',
    });
    // Not listed, not callable.
    expect((await errorOf(gw.client.callTool({ name: STATUS_TOOL, arguments: {} }))).code).toBe(
      ErrorCode.InvalidParams,
    );
    expect(textOf(await gw.client.callTool({ name: 'slow__beta', arguments: {} }))).toBe('beta');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('respects logging/setLevel: a client that asked for errors only gets no "starting" warning', async () => {
    const gw = await startGateway(slowConfig());
    await gw.client.setLoggingLevel('error');
    const tools = await listedWith(gw, 'fast__alpha');
    expect(tools.find((t) => t.name === STATUS_TOOL)!.description).toContain('- starting: slow: ');
    await new Promise((r) => setTimeout(r, 200));
    expect(gatewayLogs(gw)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('names a server that fails to start as unavailable, and keeps its own words out of what the model reads', async () => {
    const gw = await startGateway({
      servers: {
        fast: { ...fixtureServer('slow-start-server.ts'), env: { TOOLS: 'alpha' } },
        broken: {
          command: process.execPath,
          // Answers initialize with an error whose words are an injection: the upstream wrote them.
          args: ['-e', REFUSE_INITIALIZE],
        },
      },
    });
    const { tools } = await gw.client.listTools();
    const status = tools.find((t) => t.name === STATUS_TOOL);
    expect(status?.description).toMatch(
      /- unavailable: broken: it failed to start and is being retried; its last error is in gateway\.log/,
    );
    const failed = await waitFor(() =>
      gatewayLogs(gw).find(
        (n) => n.logger === 'secure-mcp-gateway' && String(n.data).startsWith('unavailable: broken'),
      ),
    );
    expect(failed.level).toBe('error');
    // What the upstream wrote stays in gateway.log (stderr here): neither the tool list, a log notification nor the
    // status tool's answer carries it.
    await waitFor(() => logLines(gw).find((l) => JSON.stringify(l).includes('IGNORE ALL PREVIOUS')));
    expect(JSON.stringify(tools)).not.toMatch(/IGNORE ALL PREVIOUS/);
    expect(JSON.stringify(gatewayLogs(gw))).not.toMatch(/IGNORE ALL PREVIOUS/);
    const called = await gw.client.callTool({ name: STATUS_TOOL });
    expect(JSON.stringify(called)).not.toMatch(/IGNORE ALL PREVIOUS/);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
