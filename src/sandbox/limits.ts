/**
 * Resource limits of one sandbox (issue 19, item 1: "optional limits (memory, processes)"). Two ways, tried in order:
 * - a cgroup of its own (v2 where our cgroup's subtree is delegated, or the v1 `pids` and `memory` hierarchies
 *   where we may write them, as root may): the limit covers the whole sandbox together, and the sandbox is moved
 *   into it by a shell that then execs bwrap, so no process of the sandbox ever runs outside it;
 * - else rlimits set inside the sandbox with prlimit(1): RLIMIT_NPROC, which bwrap's new user namespace counts per
 *   sandbox (kernel 5.14+ counts it per user namespace) but which the kernel never applies to root; and
 *   RLIMIT_DATA per process for memory.
 * Failure mode: a limit that neither way can enforce throws LimitUnavailableError, and the caller refuses the server
 * (a limit is never silently dropped).
 */
import fs from 'node:fs';
import path from 'node:path';

export class LimitUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitUnavailableError';
  }
}

export interface LimitPlan {
  /** Prepended to the bwrap command line: moves the process into the cgroups, then execs the rest. */
  wrapper: string[];
  /** Prepended inside the sandbox (prlimit …), before the server's command. */
  inside: string[];
  /** How the limits are enforced, for the log. */
  how: string[];
  /** Removes the cgroups (after the sandbox has ended), killing any process left in them. */
  cleanup(): Promise<void>;
}

export interface Limits {
  memoryMb?: number | undefined;
  processes?: number | undefined;
}

interface CgroupRoot {
  version: 1 | 2;
  /** Directory of our own cgroup for this controller. */
  dir: string;
}

let counter = 0;

/** Our own cgroup per controller, from /proc/self/cgroup and the usual mount points. */
function ownCgroup(controller: 'pids' | 'memory', root = '/sys/fs/cgroup'): CgroupRoot | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, rel] = line.split(':', 3) as [string, string, string];
    if (controllers.split(',').includes(controller)) {
      const dir = path.join(root, controller, rel);
      if (fs.existsSync(dir)) return { version: 1, dir };
    }
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  if (unified && fs.existsSync(path.join(root, 'cgroup.controllers'))) {
    const dir = path.join(root, unified.slice(3));
    try {
      if (fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes(controller))
        return { version: 2, dir };
    } catch {
      // not delegated to us
    }
  }
  return undefined;
}

/** Makes a child cgroup and sets one limit in it, or returns undefined when this process may not. */
function makeCgroup(controller: 'pids' | 'memory', name: string, value: string, root?: string): string | undefined {
  const own = ownCgroup(controller, root);
  if (!own) return undefined;
  const dir = path.join(own.dir, name);
  const file = controller === 'pids' ? 'pids.max' : own.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  try {
    fs.mkdirSync(dir);
  } catch {
    return undefined;
  }
  try {
    fs.writeFileSync(path.join(dir, file), value);
    // v1 memory: swap would let the sandbox go past its limit; where the kernel has memsw, cap it too.
    if (controller === 'memory' && own.version === 1 && fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes')))
      fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), value);
    return dir;
  } catch {
    removeCgroup(dir);
    return undefined;
  }
}

/** For a plan that is given up before anything ran in it: its cgroups are empty. */
function removeCgroup(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // already gone, or busy: removeCgroupWhenEmpty handles a used one
  }
}

/**
 * Removes a cgroup after its sandbox ended. The kernel reaps the PID namespace's processes asynchronously, so the
 * cgroup may still hold some for a moment (rmdir: EBUSY): any left are killed, and rmdir is tried again for up to
 * two seconds. A cgroup never outlives its sandbox by more than that, nor holds a process of it.
 */
async function removeCgroupWhenEmpty(dir: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    }
    try {
      for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
    } catch {
      // the cgroup went away meanwhile
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface PlanOptions {
  limits: Limits;
  server: string;
  /** prlimit(1) found on the child's PATH, if any. */
  prlimit: string | undefined;
  uid?: number;
  /** Where the cgroup hierarchies are mounted (tests point it elsewhere to take the rlimit way). */
  cgroupRoot?: string;
}

export function planLimits(opts: PlanOptions): LimitPlan {
  const { limits } = opts;
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const made: string[] = [];
  const how: string[] = [];
  const prl: string[] = [];
  const name = `smg-${process.pid}-${opts.server.replace(/[^A-Za-z0-9_-]/g, '_')}-${++counter}`;
  const fail = (message: string): never => {
    made.forEach(removeCgroup);
    throw new LimitUnavailableError(message);
  };
  if (limits.processes !== undefined) {
    const dir = makeCgroup('pids', name, String(limits.processes), opts.cgroupRoot);
    if (dir) {
      made.push(dir);
      how.push(`processes ≤ ${limits.processes} (cgroup ${dir})`);
    } else if (uid === 0)
      fail(
        `limits.processes cannot be enforced: no cgroup may be made here, and the kernel does not apply RLIMIT_NPROC to root`,
      );
    else if (opts.prlimit === undefined)
      fail(
        'limits.processes cannot be enforced: no cgroup may be made here, and prlimit (util-linux) is not installed',
      );
    else {
      prl.push(`--nproc=${limits.processes}`);
      how.push(`processes ≤ ${limits.processes} (RLIMIT_NPROC in the sandbox's user namespace)`);
    }
  }
  if (limits.memoryMb !== undefined) {
    const bytes = limits.memoryMb * 1024 * 1024;
    const dir = makeCgroup('memory', name, String(bytes), opts.cgroupRoot);
    if (dir) {
      made.push(dir);
      how.push(`memory ≤ ${limits.memoryMb} MiB (cgroup ${dir})`);
    } else if (opts.prlimit === undefined)
      fail('limits.memoryMb cannot be enforced: no cgroup may be made here, and prlimit (util-linux) is not installed');
    else {
      prl.push(`--data=${bytes}`);
      how.push(`memory ≤ ${limits.memoryMb} MiB per process (RLIMIT_DATA)`);
    }
  }
  const wrapper =
    made.length === 0
      ? []
      : [
          '/bin/sh',
          '-c',
          // Joins each cgroup, then becomes bwrap: every process of the sandbox starts inside the limits.
          'for d; do [ "$d" = -- ] && break; echo $$ > "$d/cgroup.procs" || exit 126; shift; done; shift; exec "$@"',
          'sh',
          ...made,
          '--',
        ];
  return {
    wrapper,
    inside: prl.length > 0 ? [opts.prlimit!, ...prl, '--'] : [],
    how,
    cleanup: async () => {
      await Promise.all(made.map(removeCgroupWhenEmpty));
    },
  };
}
