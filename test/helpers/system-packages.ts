/**
 * System services for tests (redis-server, chromium): a test that needs one gets it itself. When the command is
 * missing, this installs its Debian package with apt-get (as root, or through passwordless sudo). Where that is
 * impossible it throws, loudly and with the reason: a test that needs the service fails; it never passes silently.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface SystemCommand {
  /** The executable the test runs, looked up on PATH or given as an absolute path. */
  command: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

function which(command: string): string | undefined {
  if (command.includes('/')) return fs.existsSync(command) ? command : undefined;
  const found = spawnSync('sh', ['-c', `command -v "${command}"`], { encoding: 'utf8' });
  const out = found.stdout.trim();
  return found.status === 0 && out ? out : undefined;
}

/** Runs apt-get directly as root, else through `sudo -n`; undefined when neither is possible. */
function aptRunner(): string[] | undefined {
  if (!which('apt-get')) return undefined;
  if (process.getuid?.() === 0) return [];
  return which('sudo') && spawnSync('sudo', ['-n', 'true']).status === 0 ? ['sudo', '-n'] : undefined;
}

const installed = new Set<string>();

/**
 * The absolute path of `command`, installing its Debian package first when it is missing. Throws an error that
 * says what is missing and why it could not be installed.
 */
export function ensureSystemCommand({ command, debianPackage }: SystemCommand): string {
  const present = which(command);
  if (present) return present;
  const runner = aptRunner();
  if (!runner)
    throw new Error(
      `${command} is not installed, and this test cannot install the Debian package "${debianPackage}" ` +
        `(apt-get needs root or passwordless sudo). Install it and run the tests again.`,
    );
  if (!installed.has(debianPackage)) {
    installed.add(debianPackage);
    const [bin, ...pre] = runner.length ? runner : ['env'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    process.stderr.write(`[test setup] installing the Debian package ${debianPackage} for ${command}\n`);
    execFileSync(bin!, [...pre, 'apt-get', 'update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync(bin!, [...pre, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', debianPackage], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  }
  const after = which(command);
  if (!after) throw new Error(`installed the Debian package "${debianPackage}", but ${command} is still not found`);
  return after;
}
