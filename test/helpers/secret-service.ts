/**
 * A real Linux Secret Service for tests (issue 18): a private D-Bus session bus (dbus-daemon) and gnome-keyring's
 * secrets component on it, unlocked with a password written to its stdin, both children of the test process and
 * living in a temporary folder (their own HOME and XDG dirs, so the user's keyring is never touched). The binaries
 * are installed from Debian when missing (ensureSystemCommand); where that is impossible the test fails loudly with
 * the apt hint. Ready once org.freedesktop.secrets has an owner on the bus.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureSystemCommand } from './system-packages.js';

export interface SecretService {
  /** DBUS_SESSION_BUS_ADDRESS and the XDG folders: the environment a keychain client needs. */
  env: Record<string, string>;
  /** Every (account, secret) of a service, through secret-tool (libsecret), for checks independent of our code. */
  lookup(service: string, account: string): string | undefined;
  stop(): Promise<void>;
}

function firstLine(proc: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} printed no address within ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err}`));
    });
  });
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

export async function startSecretService(): Promise<SecretService> {
  const dbus = ensureSystemCommand({ command: 'dbus-daemon', debianPackage: 'dbus-daemon' });
  const keyring = ensureSystemCommand({ command: 'gnome-keyring-daemon', debianPackage: 'gnome-keyring' });
  const dbusSend = ensureSystemCommand({ command: 'dbus-send', debianPackage: 'dbus-bin' });
  const secretTool = ensureSystemCommand({ command: 'secret-tool', debianPackage: 'libsecret-tools' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-secret-service-'));
  fs.chmodSync(dir, 0o700);
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
  };
  const bus = spawn(dbus, ['--session', '--nofork', '--nosyslog', '--print-address=1'], {
    env: base,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const address = await firstLine(bus, 10_000, 'dbus-daemon');
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
  const daemon = spawn(keyring, ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let daemonErr = '';
  daemon.stderr.on('data', (c: Buffer) => (daemonErr += c.toString()));
  daemon.stdin.end('test-keyring-password');
  const end = Date.now() + 15_000;
  for (;;) {
    const r = spawnSync(
      dbusSend,
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ],
      { env, encoding: 'utf8' },
    );
    if (/boolean true/.test(r.stdout)) break;
    if (daemon.exitCode !== null || Date.now() > end) {
      await stopProc(daemon);
      await stopProc(bus);
      throw new Error(`gnome-keyring-daemon did not provide org.freedesktop.secrets: ${daemonErr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    env,
    lookup(service, account) {
      const r = spawnSync(secretTool, ['lookup', 'service', service, 'username', account], { env, encoding: 'utf8' });
      return r.status === 0 ? r.stdout : undefined;
    },
    async stop() {
      await stopProc(daemon);
      await stopProc(bus);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
