import { describe, expect, it } from 'vitest';
import { SERVER_NAME_PATTERN } from '../config/schema.js';
import { createInjectionDetector } from '../guardrails/injection.js';
import { createPiiDetector } from '../guardrails/pii.js';
import { createSecretsDetector } from '../guardrails/secrets.js';
import { createPoisoningScanner } from '../integrity/poisoning.js';
import { exposedName } from './names.js';
import { STATUS_TOOL, statusLine, statusResult, statusText, statusTool, type ServerStatus } from './server-status.js';

const unavailable: ServerStatus = {
  server: 'github',
  state: 'unavailable',
  config: {
    name: 'github',
    problems: [
      {
        path: 'servers.github.env.GITHUB_TOKEN',
        message: 'environment variable GITHUB_TOKEN is not set (referenced as ${env:GITHUB_TOKEN})',
      },
    ],
  },
};
const fileMissing: ServerStatus = {
  server: 'remote',
  state: 'unavailable',
  config: {
    name: 'remote',
    problems: [
      {
        path: 'servers.remote.headers.Authorization',
        message:
          'cannot read /home/me/.secure-mcp-gateway/remote.token (ENOENT), referenced as ${file:~/.secure-mcp-gateway/remote.token}',
      },
    ],
  },
};
const starting: ServerStatus = { server: 'fs', state: 'starting' };
const failed: ServerStatus = { server: 'crashy', state: 'failed' };
const all = [unavailable, fileMissing, starting, failed];

describe('server status', () => {
  it.each([
    [
      unavailable,
      'unavailable: github: at servers.github.env.GITHUB_TOKEN: environment variable GITHUB_TOKEN is not set (referenced as ${env:GITHUB_TOKEN}). Fix: set GITHUB_TOKEN in the environment the client starts the gateway with (its "env" entry), or use ${file:…}',
    ],
    [
      fileMissing,
      /^unavailable: remote: at servers\.remote\.headers\.Authorization: cannot read .*Fix: create the file/,
    ],
    [starting, 'starting: fs: its tools are added when it is ready (the tool list then changes)'],
    [
      failed,
      'unavailable: crashy: it failed to start and is being retried; its last error is in gateway.log (secure-mcp-gateway doctor shows it too)',
    ],
  ])('says what and why for %j', (status, line) => {
    if (typeof line === 'string') expect(statusLine(status)).toBe(line);
    else expect(statusLine(status)).toMatch(line);
  });

  it('is not listed while every server serves', () => {
    expect(statusTool([])).toBeUndefined();
    expect(statusText([])).toBe('');
    expect(statusResult([]).content).toEqual([
      { type: 'text', text: 'secure-mcp-gateway: every configured server is serving.' },
    ]);
  });

  it('is a read-only tool without arguments whose description and call say the same, naming each server', () => {
    const tool = statusTool(all)!;
    expect(tool.name).toBe(STATUS_TOOL);
    expect(tool.annotations).toMatchObject({ readOnlyHint: true });
    expect(tool.inputSchema).toEqual({ type: 'object', properties: {}, additionalProperties: false });
    const text = (statusResult(all).content[0] as { text: string }).text;
    expect(text).toBe(statusText(all));
    expect(tool.description).toContain(text);
    expect(text.split('\n')[0]).toBe('secure-mcp-gateway: 4 configured servers have no tools in this list:');
    for (const s of all) expect(text).toContain(`- ${statusLine(s)}`);
    expect(statusText([starting]).split('\n')[0]).toBe(
      'secure-mcp-gateway: 1 configured server has no tools in this list:',
    );
  });

  it.each([
    ['a', 'b'],
    ['gateway', 'status'],
    ['x', '_gateway_status'],
    ['a-very-long-server-name-that-is-32', 'a tool with spaces and a very long name that must be hashed to fit'],
  ])('has a name clients accept that no exposed name %s/%s can take', (server, tool) => {
    expect(STATUS_TOOL).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(SERVER_NAME_PATTERN.test(STATUS_TOOL)).toBe(false);
    for (const max of [20, 64]) expect(exposedName(server.slice(0, 32), tool, max)).not.toBe(STATUS_TOOL);
  });

  it('passes the output guardrails and the poisoning scan (the gateway would not block its own status)', () => {
    const tool = statusTool(all)!;
    const text = `${tool.description}`;
    for (const detector of [createInjectionDetector(), createSecretsDetector(), createPiiDetector()])
      expect(detector.scan(text, 'output').map((d) => d.rule)).toEqual([]);
    expect(createPoisoningScanner().scanTools([tool], { server: 'gateway' })).toEqual([]);
  });
});
