/** doctor's clients check counts the servers that bypass the gateway in the singular and the plural (issue 17, 9e). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { createDoctorContext } from '../context.js';
import { clientsCheck } from './clients.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function withCursor(servers: Record<string, unknown>) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-clients-'));
  dirs.push(home);
  fs.mkdirSync(path.join(home, '.cursor'));
  const file = path.join(home, '.cursor', 'mcp.json');
  fs.writeFileSync(file, JSON.stringify({ mcpServers: servers }));
  const env = { HOME: home };
  const catalog = { platform: 'linux' as const, env, project: path.join(home, 'project') };
  return { file, ctx: createDoctorContext({ paths: resolvePaths({}, env), env, catalog, log: silentLogger() }) };
}

describe('doctor: MCP clients', () => {
  it.each([
    [['a'], '1 server bypasses the gateway (a)'],
    [['a', 'b'], '2 servers bypass the gateway (a, b)'],
  ])('counts %j', (names, text) => {
    const c = withCursor(Object.fromEntries(names.map((n) => [n, { command: 'node', args: [`${n}.js`] }])));
    expect(clientsCheck.run(c.ctx)).toEqual([
      {
        status: 'warn',
        subject: 'client cursor',
        detail: `${c.file}: ${text}`,
        fix: 'secure-mcp-gateway install --client cursor',
      },
    ]);
  });
});
