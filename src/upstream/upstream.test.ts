import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import { Upstream, type UpstreamOptions } from './upstream.js';
import { REFUSE_INITIALIZE } from '../../test/support/refuse-initialize.js';

const open: Upstream[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((u) => u.close()));
});

/** Starts the config's first server as an Upstream that is not restarted within a test. */
function startUpstream(config: unknown, extra: Partial<UpstreamOptions> & { log: UpstreamOptions['log'] }): Upstream {
  const loaded = parseConfig(JSON.stringify(config), path.join(os.tmpdir(), 'smg-upstream-test.json'), {});
  const upstream = new Upstream(loaded.servers[0]!, {
    mask: (t) => t,
    connectTimeoutMs: 5_000,
    restartInitialDelayMs: 60_000,
    restartMaxDelayMs: 60_000,
    maxMessageBytes: 1 << 20,
    onCatalog: () => undefined,
    ...extra,
  });
  open.push(upstream);
  upstream.start({});
  return upstream;
}

describe('an upstream that fails to start', () => {
  it("tells a waiting call it is unavailable without repeating the upstream's own words", async () => {
    const config = { servers: { refuser: { command: process.execPath, args: ['-e', REFUSE_INITIALIZE] } } };
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const upstream = startUpstream(config, { log });
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
  const start = (config: unknown, env: NodeJS.ProcessEnv = process.env) =>
    startUpstream(config, {
      log: pino({ level: 'silent' }),
      sandbox: { gatewayHome: path.join(os.tmpdir(), 'smg-upstream-sandbox-home'), gatewayEnv: env, onEvent: () => {} },
    });

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
