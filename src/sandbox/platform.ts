/**
 * Can this machine sandbox a server? Linux with bubblewrap that can really make namespaces (a kernel or container
 * that forbids user namespaces has bwrap but no sandbox). The probe runs `bwrap` once per program path and caches
 * the answer for the process: a start-up pays it once, not per server. macOS and Windows have no sandbox yet
 * (docs/sandbox.md says so plainly; doctor repeats it). Failure mode: any doubt is "unavailable" with the reason,
 * which costs a `required` server its start and makes the others run unconfined with a warning.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type SandboxSupport =
  { available: true; bwrap: string; version: string } | { available: false; reason: string; platform: NodeJS.Platform };

export interface DetectOptions {
  /** The environment whose PATH is searched (the gateway's own). */
  env: NodeJS.ProcessEnv;
  /** sandbox.bwrap from the config: a program name or path. */
  bwrap?: string | undefined;
  platform?: NodeJS.Platform;
}

const cache = new Map<string, Promise<SandboxSupport>>();

/** What an unsupported system gets, in words a user reads in doctor and in a refused server's status. */
export function unsupportedReason(platform: NodeJS.Platform): string {
  if (platform === 'darwin')
    return 'macOS has no sandbox for servers yet (bubblewrap is Linux only; sandbox-exec is not used): servers run unconfined';
  if (platform === 'win32') return 'Windows has no sandbox for servers yet: servers run unconfined';
  return `${platform} has no sandbox for servers (bubblewrap needs Linux): servers run unconfined`;
}

export function detectSandbox(opts: DetectOptions): Promise<SandboxSupport> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') return Promise.resolve({ available: false, platform, reason: unsupportedReason(platform) });
  const program = findProgram(opts.bwrap ?? 'bwrap', opts.env.PATH ?? '');
  if (program === undefined)
    return Promise.resolve({
      available: false,
      platform,
      reason:
        opts.bwrap === undefined
          ? 'bubblewrap (bwrap) is not installed or not on PATH: install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)'
          : `sandbox.bwrap "${opts.bwrap}" is not an executable file`,
    });
  let probe = cache.get(program);
  if (!probe) {
    probe = runProbe(program, platform);
    cache.set(program, probe);
  }
  return probe;
}

/** A program name is looked up on PATH; a path is taken as it is. Only executable regular files count. */
export function findProgram(name: string, pathVar: string): string | undefined {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : pathVar
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, name));
  for (const c of candidates)
    try {
      if (fs.statSync(c).isFile()) {
        fs.accessSync(c, fs.constants.X_OK);
        return c;
      }
    } catch {
      // not here
    }
  return undefined;
}

function runProbe(bwrap: string, platform: NodeJS.Platform): Promise<SandboxSupport> {
  return new Promise((resolve) => {
    execFile(bwrap, ['--version'], { timeout: 5000 }, (error, stdout) => {
      if (error) {
        resolve({ available: false, platform, reason: `${bwrap} --version failed: ${error.message}` });
        return;
      }
      const version = stdout.trim().replace(/^bubblewrap\s+/, '');
      // The same namespaces a server gets: a machine that forbids them says so here, once.
      const args = [
        '--ro-bind',
        '/',
        '/',
        '--unshare-all',
        '--die-with-parent',
        '--new-session',
        '--cap-drop',
        'ALL',
        '--',
        'true',
      ];
      execFile(bwrap, args, { timeout: 5000 }, (err, _out, stderr) => {
        if (err)
          resolve({
            available: false,
            platform,
            reason: `bubblewrap cannot create a sandbox here (${stderr.trim() || err.message}); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or an AppArmor restriction)`,
          });
        else resolve({ available: true, bwrap, version });
      });
    });
  });
}

/** For tests: forget the probes. */
export function resetSandboxDetection(): void {
  cache.clear();
}
