import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configReloadedEvent, keyRefusedEvent, keyUsedEvent } from './authenticate.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('identity events', () => {
  it('logs each event with a structured event field and never a secret', () => {
    const { log, lines } = capture();
    keyUsedEvent(log, { user: 'a@example.com', project: 'p', role: 'dev', keyId: 'k1' }, 'http');
    keyRefusedEvent(log, { keyId: 'k2', reason: 'gateway key k2 was revoked at X' }, 'stdio');
    keyRefusedEvent(log, { reason: 'no gateway key was presented' }, 'http', '127.0.0.1');
    configReloadedEvent(log, { ok: true, file: '/c.json' });
    configReloadedEvent(log, { ok: false, file: '/c.json', error: '/c.json: invalid config:\n  at roles.x: ...' });
    expect(lines.map((l) => l.event)).toEqual([
      'key.used',
      'key.refused',
      'key.refused',
      'config.reloaded',
      'config.reload-failed',
    ]);
    expect(lines[0]).toMatchObject({ keyId: 'k1', user: 'a@example.com', project: 'p', transport: 'http' });
    expect(lines[1]).toMatchObject({ keyId: 'k2', msg: 'gateway key refused: gateway key k2 was revoked at X' });
    expect(lines[2]).toMatchObject({ remote: '127.0.0.1', level: 40 });
    expect(lines[4]).toMatchObject({ level: 50, err: expect.stringContaining('at roles.x') });
    expect(JSON.stringify(lines)).not.toMatch(/smg_[0-9a-f]{16}_/);
  });
});
