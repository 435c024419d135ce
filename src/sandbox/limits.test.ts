import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORK_BOMB } from '../../test/support/sandbox-probes.js';
import { LimitUnavailableError, planLimits } from './limits.js';
import { findProgram } from './platform.js';

const prlimit = findProgram('prlimit', process.env.PATH ?? '');
const bwrap = findProgram('bwrap', process.env.PATH ?? '');
const nowhere = path.join(os.tmpdir(), 'smg-no-cgroups');

describe('planLimits', () => {
  it('sets nothing when no limit is asked for', () => {
    const plan = planLimits({ limits: {}, server: 's', prlimit });
    expect(plan).toMatchObject({ wrapper: [], inside: [], how: [] });
  });

  it.each([
    [{ processes: 32 }, ['--nproc=32']],
    [{ memoryMb: 64 }, [`--data=${64 * 1024 * 1024}`]],
    [{ processes: 8, memoryMb: 16 }, ['--nproc=8', `--data=${16 * 1024 * 1024}`]],
  ])('without cgroups, a user gets rlimits inside the sandbox (%o)', (limits, flags) => {
    for (let i = 0; i < 2; i++) {
      const plan = planLimits({ limits, server: 's', prlimit: '/usr/bin/prlimit', uid: 1000, cgroupRoot: nowhere });
      expect(plan.wrapper).toEqual([]);
      expect(plan.inside).toEqual(['/usr/bin/prlimit', ...flags, '--']);
    }
  });

  it.each([
    [{ processes: 32 }, 0, '/usr/bin/prlimit', /RLIMIT_NPROC to root/],
    [{ processes: 32 }, 1000, undefined, /prlimit \(util-linux\) is not installed/],
    [{ memoryMb: 64 }, 1000, undefined, /prlimit \(util-linux\) is not installed/],
  ])('refuses a limit it cannot enforce (%o, uid %i)', (limits, uid, prl, message) => {
    const plan = () => planLimits({ limits, server: 's', prlimit: prl, uid, cgroupRoot: nowhere });
    expect(plan).toThrow(LimitUnavailableError);
    expect(plan).toThrow(message);
  });

  it.runIf(process.getuid?.() === 0 && fs.existsSync('/sys/fs/cgroup/pids'))(
    'as root, makes a cgroup that the wrapper joins before bwrap runs, and removes it',
    async () => {
      const plan = planLimits({ limits: { processes: 16 }, server: 's', prlimit });
      expect(plan.wrapper[0]).toBe('/bin/sh');
      const dir = plan.wrapper.at(-2)!;
      expect(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8').trim()).toBe('16');
      const r = spawnSync(plan.wrapper[0]!, [...plan.wrapper.slice(1), 'sh', '-c', `cat /proc/self/cgroup`], {
        encoding: 'utf8',
      });
      expect(r.stdout).toContain(path.basename(dir));
      await plan.cleanup();
      expect(fs.existsSync(dir)).toBe(false);
    },
  );

  // The way a desktop user goes (no root, no delegated cgroup): RLIMIT_NPROC counted in bwrap's new user namespace.
  it.runIf(process.getuid?.() === 0 && prlimit !== undefined && bwrap !== undefined)(
    'contains a fork bomb of an unprivileged user with RLIMIT_NPROC in the sandbox’s user namespace',
    () => {
      const plan = planLimits({ limits: { processes: 24 }, server: 's', prlimit, uid: 65534, cgroupRoot: nowhere });
      const args = ['--reuid=65534', '--regid=65534', '--clear-groups', bwrap!, '--ro-bind', '/', '/'];
      args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--unshare-all', '--die-with-parent');
      args.push('--', ...plan.inside, process.execPath, '-e', FORK_BOMB);
      const r = spawnSync('setpriv', args, { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBeGreaterThan(0);
      expect(r.status).toBeLessThan(24);
    },
  );
});
