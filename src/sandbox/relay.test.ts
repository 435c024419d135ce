import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayServer, parseRelayArgs } from './relay.js';

describe('parseRelayArgs', () => {
  it.each([
    [
      ['--listen', '127.0.0.1:3128', '--socket', '/run/smg/egress.sock', '--', 'node', 'server.js', '--flag'],
      { host: '127.0.0.1', port: 3128, socket: '/run/smg/egress.sock', command: 'node', args: ['server.js', '--flag'] },
    ],
    [
      ['--socket', '/s', '--listen', '[::1]:8080', '--', 'uvx', '--', 'x'],
      { host: '::1', port: 8080, socket: '/s', command: 'uvx', args: ['--', 'x'] },
    ],
    [
      ['--listen', '3128', '--socket', '/s', '--', 'a'],
      { host: '127.0.0.1', port: 3128, socket: '/s', command: 'a', args: [] },
    ],
  ])('reads %j', (argv, expected) => {
    expect(parseRelayArgs(argv)).toEqual(expected);
    expect(parseRelayArgs(argv)).toEqual(expected);
  });

  it.each([
    [['--listen', '127.0.0.1:3128', '--socket', '/s'], 'no command'],
    [['--listen', '127.0.0.1:0', '--socket', '/s', '--', 'a'], '--listen'],
    [['--listen', '127.0.0.1:70000', '--socket', '/s', '--', 'a'], '--listen'],
    [['--socket', '/s', '--', 'a'], '--listen'],
    [['--listen', '127.0.0.1:3128', '--', 'a'], '--socket'],
    [['--listen', '127.0.0.1:3128', '--socket', '/s', '--verbose', '--', 'a'], 'unexpected argument'],
    [['--listen'], 'unexpected argument'],
  ])('refuses %j', (argv, message) => {
    expect(parseRelayArgs(argv)).toContain(message);
  });
});

describe('createRelayServer', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function relayTo(onUnix: (s: net.Socket) => void) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-relay-'));
    const socketPath = path.join(dir, 'egress.sock');
    const unix = net.createServer(onUnix);
    await new Promise<void>((resolve) => unix.listen(socketPath, resolve));
    const relay = createRelayServer(socketPath);
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => {
      relay.close();
      unix.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { port: (relay.address() as net.AddressInfo).port, unix };
  }

  function talk(port: number, text: string): Promise<string> {
    return new Promise((resolve) => {
      const tcp = net.connect(port, '127.0.0.1');
      let out = '';
      tcp.on('data', (d: Buffer) => (out += d.toString()));
      // A reset (ECONNRESET) is a close as well: what matters is that the relay ends the connection.
      tcp.on('error', () => undefined);
      tcp.on('close', () => resolve(out));
      tcp.write(text);
    });
  }

  it('pipes each TCP connection to its own Unix socket connection, both ways', async () => {
    let connections = 0;
    const { port } = await relayTo((s) => {
      const n = ++connections;
      s.once('data', (d: Buffer) => s.end(`#${n} got ${d.toString()}`));
    });
    expect(await talk(port, 'ping')).toBe('#1 got ping');
    expect(await talk(port, 'ping')).toBe('#2 got ping');
  });

  it('closes the TCP side when the Unix side fails', async () => {
    const { port } = await relayTo((s) => s.destroy());
    expect(await talk(port, 'anything')).toBe('');
  });

  it('closes the TCP side when nothing listens on the socket', async () => {
    const { port, unix } = await relayTo(() => undefined);
    await new Promise<void>((resolve) => unix.close(() => resolve()));
    expect(await talk(port, 'anything')).toBe('');
  });
});
