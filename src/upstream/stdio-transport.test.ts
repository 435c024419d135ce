import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { StdioUpstreamTransport, UpstreamGoneError } from './stdio-transport.js';

function transport(script: string): StdioUpstreamTransport {
  return new StdioUpstreamTransport({
    command: process.execPath,
    args: ['-e', script],
    env: {},
    log: silentLogger(),
    mask: (t) => t,
    maxMessageBytes: 1024 * 1024,
    killGraceMs: 200,
  });
}

const message = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'x' } };

describe('StdioUpstreamTransport.send', () => {
  it('fails a write to a child that no longer reads its stdin as the upstream having gone', async () => {
    // The child closes its end of the pipe and stays alive, so the write meets EPIPE before any 'close' event.
    const t = transport("require('fs').closeSync(0); setInterval(() => {}, 1000)");
    t.onerror = () => undefined;
    await t.start();
    let error: unknown;
    // Until the child has closed its end, writes go into the pipe's buffer and succeed.
    for (let i = 0; i < 200 && !error; i++) {
      await t.send(message).catch((e: unknown) => (error = e));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(error).toBeInstanceOf(UpstreamGoneError);
    expect((error as Error).message).toMatch(/^(writing to it failed: write EPIPE|its stdin is closed)$/);
    await t.close();
  });

  it('fails a write after the child has exited as the upstream having gone', async () => {
    const t = transport('process.exit(3)');
    const gone = new Promise<void>((resolve) => (t.onclose = resolve));
    await t.start();
    await gone;
    await expect(t.send(message)).rejects.toThrow(UpstreamGoneError);
    expect(t.exit).toEqual({ code: 3, signal: null });
  });
});
