import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import { Upstream } from './upstream.js';
import { REFUSE_INITIALIZE } from '../../test/support/refuse-initialize.js';

const open: Upstream[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((u) => u.close()));
});

describe('an upstream that fails to start', () => {
  it("tells a waiting call it is unavailable without repeating the upstream's own words", async () => {
    const file = path.join(os.tmpdir(), 'smg-upstream-test.json');
    const config = { servers: { refuser: { command: process.execPath, args: ['-e', REFUSE_INITIALIZE] } } };
    const loaded = parseConfig(JSON.stringify(config), file, {});
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const upstream = new Upstream(loaded.servers[0]!, {
      log,
      mask: (t) => t,
      connectTimeoutMs: 5_000,
      restartInitialDelayMs: 60_000,
      restartMaxDelayMs: 60_000,
      maxMessageBytes: 1 << 20,
      onCatalog: () => undefined,
    });
    open.push(upstream);
    upstream.start({});
    await expect.poll(() => upstream.lastError, { timeout: 10_000 }).toMatch(/IGNORE ALL PREVIOUS/);
    const error = await upstream.ready(50).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toBe(
      'upstream "refuser" is unavailable: not connected after 50 ms (its last error is in gateway.log)',
    );
    // The log keeps what the upstream said, for whoever reads gateway.log.
    expect(lines.join('')).toMatch(/IGNORE ALL PREVIOUS/);
  });
});

describe('a sandboxed upstream', () => {
  const start = (config: unknown, env: NodeJS.ProcessEnv = process.env) => {
    const file = path.join(os.tmpdir(), 'smg-upstream-sandbox-test.json');
    const loaded = parseConfig(JSON.stringify(config), file, {});
    const upstream = new Upstream(loaded.servers[0]!, {
      log: pino({ level: 'silent' }),
      mask: (t) => t,
      connectTimeoutMs: 5_000,
      restartInitialDelayMs: 60_000,
      restartMaxDelayMs: 60_000,
      maxMessageBytes: 1 << 20,
      onCatalog: () => undefined,
      sandbox: { gatewayHome: path.join(os.tmpdir(), 'smg-upstream-sandbox-home'), gatewayEnv: env, onEvent: () => {} },
    });
    open.push(upstream);
    upstream.start({});
    return upstream;
  };

  it('that dies at start says it runs in a sandbox, and is retried', async () => {
    const upstream = start({ servers: { s: { command: '/bin/false', sandbox: true } } });
    await expect
      .poll(() => upstream.lastError, { timeout: 10_000 })
      .toMatch(/it runs in a sandbox: .*docs\/sandbox\.md/);
    expect(upstream.halted).toBeUndefined();
    expect(upstream.state).toBe('backoff');
  });

  it('that requires a sandbox where there is none is halted with the rule, and calls fail at once', async () => {
    const upstream = start(
      { servers: { s: { command: '/bin/true', sandbox: { required: true } } } },
      { PATH: '/nonexistent' },
    );
    await expect.poll(() => upstream.halted, { timeout: 10_000 }).toMatch(/^sandbox\.unavailable: .*bwrap/);
    const error = await upstream.ready(5_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as GatewayError).message).toMatch(/^upstream "s" is unavailable: sandbox\.unavailable: /);
  });
});
