/**
 * Turns a stdio server's command line into the same command run inside a bubblewrap sandbox (issue 19, item 1), and
 * starts what the sandbox needs from the gateway (the egress proxy of an `allow` network, cgroups for limits).
 *
 * The sandbox sees, in this order of mounts (a later mount may sit inside an earlier one):
 * 1. the system read-only (/usr, /bin, /sbin, /lib*, /etc with its secret files masked), a new /proc, a minimal
 *    /dev, private /tmp, /var/tmp and /run;
 * 2. an empty home at $HOME (tmpfs), or the server's own persistent folder <gateway home>/sandbox/<server>/home;
 * 3. read-only: the program's runtime (the prefix of a node, python… outside /usr), the server's package (the
 *    node_modules or project folder of each script argument), its cwd;
 * 4. its roots (read-write or read-only as the profile says) and the profile's extra paths;
 * 5. masks over anything secret that a root or extra path brought back into view: the gateway's own home, ~/.ssh,
 *    ~/.aws, ~/.gnupg, cloud and cluster credentials, browser profiles, keyrings (unless named exactly).
 * Namespaces: user, PID, IPC, UTS, cgroup and network (unless `network: "all"`); no new privileges (bwrap sets
 * PR_SET_NO_NEW_PRIVS), every capability dropped, a new session (no TIOCSTI into the gateway's terminal), and
 * --die-with-parent, so a sandbox never outlives the gateway.
 *
 * Failure mode: anything that stops the sandbox from being built as the profile says throws SandboxRefusedError
 * (rule sandbox.unavailable) when the profile is `required`; otherwise the server runs unconfined, which the caller
 * reports as an `unconfined` event. A limit that cannot be enforced always refuses: it was asked for explicitly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { planLimits } from './limits.js';
import { detectSandbox, findProgram, type SandboxSupport } from './platform.js';
import { SandboxRefusedError, type EgressDenial, type ResolvedSandbox, type SandboxEvent } from './types.js';

export interface LaunchRequest {
  server: string;
  command: string;
  args: string[];
  /** The child's whole environment (minimal default set plus its configured env). */
  env: Record<string, string>;
  cwd?: string | undefined;
  roots: readonly string[];
  profile: ResolvedSandbox;
  /** The gateway's home (SMG_HOME): hidden from every sandbox, and the parent of persistent sandbox homes. */
  gatewayHome: string;
  /** sandbox.bwrap from the config. */
  bwrap?: string | undefined;
  /** The gateway's own environment, whose PATH finds bwrap. */
  gatewayEnv: NodeJS.ProcessEnv;
  log: Logger;
  onEvent: (event: SandboxEvent) => void;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** How the server is confined, for the log ("unconfined: …" when it is not). */
  summary: string;
  confined: boolean;
  /** Stops the egress proxy and removes cgroups and sockets; after the process has ended. */
  cleanup(): Promise<void>;
}

/** The port the relay listens on inside the sandbox's own network namespace (nothing else is there). */
const RELAY_PORT = 3128;
const RUN_DIR = '/run/smg';

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** Files in /etc that hold secrets of the machine or other users: never visible in a sandbox. */
const ETC_SECRETS = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssl/private',
  '/etc/ssh',
  '/etc/security/opasswd',
  '/etc/krb5.keytab',
  '/etc/libvirt',
  '/etc/docker',
  '/etc/NetworkManager/system-connections',
  '/etc/wireguard',
];

/** Credential locations under a home folder: masked when a root or extra path would show them. */
const HOME_SECRETS = [
  '.ssh',
  '.aws',
  '.azure',
  '.gnupg',
  '.config/gcloud',
  '.kube',
  '.docker',
  '.netrc',
  '.npmrc',
  '.pypirc',
  '.git-credentials',
  '.config/gh',
  '.config/git/credentials',
  '.mozilla',
  '.config/google-chrome',
  '.config/chromium',
  '.config/BraveSoftware',
  '.config/microsoft-edge',
  '.local/share/keyrings',
  '.password-store',
  '.terraform.d',
  '.vault-token',
];

export async function prepareLaunch(req: LaunchRequest): Promise<Launch> {
  const plain: Launch = {
    command: req.command,
    args: req.args,
    env: req.env,
    cwd: req.cwd,
    confined: false,
    summary: 'unconfined',
    cleanup: () => Promise.resolve(),
  };
  const support = await detectSandbox({ env: req.gatewayEnv, bwrap: req.bwrap });
  if (!support.available) {
    if (req.profile.required) {
      req.onEvent({ event: 'refused', server: req.server, reason: support.reason });
      throw new SandboxRefusedError(
        'sandbox.unavailable',
        `the server requires a sandbox and none is available: ${support.reason}`,
      );
    }
    req.onEvent({ event: 'unconfined', server: req.server, reason: support.reason });
    return { ...plain, summary: `unconfined: ${support.reason}` };
  }
  try {
    return await buildLaunch(req, support);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    req.onEvent({ event: 'refused', server: req.server, reason });
    throw error instanceof SandboxRefusedError ? error : new SandboxRefusedError('sandbox.unavailable', reason);
  }
}

interface Mounts {
  args: string[];
  /** Destinations already visible (to skip binds they cover). */
  covered: string[];
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function exists(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

async function buildLaunch(req: LaunchRequest, support: Extract<SandboxSupport, { available: true }>): Promise<Launch> {
  const { profile, env } = req;
  const home = env.HOME ?? os.homedir();
  const childPath = env.PATH ?? '';
  const m: Mounts = { args: [], covered: [] };
  // A folder is shown at its real path and at the path as given (a symlinked install: npm link, a worktree, pnpm).
  const ro = (p: string) => {
    if (!exists(p)) return;
    const r = real(p);
    for (const dest of new Set([r, p])) {
      if (m.covered.some((c) => within(dest, c))) continue;
      m.args.push('--ro-bind', r, dest);
      m.covered.push(dest);
    }
  };

  // 1. The system.
  for (const dir of SYSTEM_DIRS) {
    const st = exists(dir);
    if (!st) continue;
    if (st.isSymbolicLink()) m.args.push('--symlink', fs.readlinkSync(dir), dir);
    else {
      m.args.push('--ro-bind', dir, dir);
      m.covered.push(dir);
    }
  }
  for (const secret of ETC_SECRETS) {
    const st = exists(secret);
    if (!st) continue;
    if (st.isDirectory()) m.args.push('--tmpfs', secret, '--remount-ro', secret);
    else m.args.push('--ro-bind', '/dev/null', secret);
  }
  m.args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp', '--tmpfs', '/run');
  // systemd-resolved's stub: /etc/resolv.conf points into /run, which is private here; an open network needs DNS.
  if (profile.network === 'all') m.args.push('--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve');

  // 2. The home.
  if (profile.home === 'persistent') {
    const own = path.join(req.gatewayHome, 'sandbox', req.server.replace(/[^A-Za-z0-9_.-]/g, '_'), 'home');
    fs.mkdirSync(own, { recursive: true, mode: 0o700 });
    m.args.push('--bind', own, home);
  } else m.args.push('--tmpfs', home);

  // 3. The runtime, the package and the cwd, read-only.
  const program = req.command.includes('/')
    ? path.resolve(req.cwd ?? process.cwd(), req.command)
    : findProgram(req.command, childPath);
  if (program === undefined) throw new Error(`cannot find "${req.command}" on the server's PATH`);
  for (const p of [program, real(program)]) ro(runtimePrefix(p, home));
  // A script run by an interpreter ("#!/usr/bin/env node"): its interpreter must be there too.
  const interpreter = shebangProgram(real(program), childPath);
  if (interpreter) ro(runtimePrefix(real(interpreter), home));
  for (const arg of req.args) {
    const file = argumentPath(arg, req.cwd);
    if (file) {
      ro(packageRoot(file));
      ro(packageRoot(real(file)));
    }
  }
  if (req.cwd !== undefined) ro(req.cwd);

  // 4. Roots and extra paths.
  for (const root of req.roots) m.args.push(profile.roots === 'rw' ? '--bind-try' : '--ro-bind-try', real(root), root);
  for (const p of profile.readOnly) m.args.push('--ro-bind-try', real(p), p);
  for (const p of profile.readWrite) m.args.push('--bind-try', real(p), p);

  const childEnv: Record<string, string> = { ...env, HOME: home };
  const cleanups: (() => Promise<void> | void)[] = [];
  let inner = [program, ...req.args];
  const how = [
    `network ${typeof profile.network === 'string' ? profile.network : `allow ${profile.network.allow.join(',')}`}`,
  ];
  const run = async (): Promise<Launch> => {
    // The network: `allow` reaches out only through the relay in the namespace and the gateway's egress proxy.
    if (typeof profile.network === 'object') {
      const relay = assetPath('sandbox-relay.cjs');
      const preload = assetPath('sandbox-preload.cjs');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-egress-'));
      fs.chmodSync(dir, 0o700);
      // Cleanups run last first: the proxy stops, then its folder goes (even when stopping the proxy failed).
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const { startEgressProxy } = await import('./egress-proxy.js');
      const proxy = await startEgressProxy({
        server: req.server,
        allow: profile.network.allow,
        resolve: profile.resolve,
        socketPath: path.join(dir, 'egress.sock'),
        log: req.log,
        onDenied: (d: EgressDenial) => req.onEvent({ event: 'egress-denied', server: req.server, ...d }),
      });
      cleanups.push(() => proxy.close());
      ro(runtimePrefix(real(process.execPath), home));
      m.args.push('--bind', dir, RUN_DIR);
      m.args.push('--ro-bind', relay, `${RUN_DIR}-bin/relay.cjs`, '--ro-bind', preload, `${RUN_DIR}-bin/preload.cjs`);
      const url = `http://127.0.0.1:${RELAY_PORT}`;
      for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'])
        childEnv[name] = url;
      // Loopback is the sandbox's own: nothing there but the relay, so nothing may bypass the proxy.
      childEnv.NO_PROXY = '';
      childEnv.no_proxy = '';
      // Node 22.21+/24 honour the proxy variables in fetch and http with this; Node 20 needs the preload.
      childEnv.NODE_USE_ENV_PROXY = '1';
      // The relay hands this to the server as NODE_OPTIONS (relay.ts childEnv): the relay itself does without it.
      childEnv.SMG_SANDBOX_NODE_OPTIONS = [env.NODE_OPTIONS, `--require ${RUN_DIR}-bin/preload.cjs`]
        .filter(Boolean)
        .join(' ');
      // The JVM reads no proxy variables: the same proxy as system properties.
      childEnv.JAVA_TOOL_OPTIONS = [
        env.JAVA_TOOL_OPTIONS,
        ...['http', 'https'].flatMap((p) => [`-D${p}.proxyHost=127.0.0.1`, `-D${p}.proxyPort=${RELAY_PORT}`]),
      ]
        .filter(Boolean)
        .join(' ');
      inner = [
        process.execPath,
        `${RUN_DIR}-bin/relay.cjs`,
        '--listen',
        `127.0.0.1:${RELAY_PORT}`,
        '--socket',
        `${RUN_DIR}/egress.sock`,
        '--',
        ...inner,
      ];
    }

    // 5. Masks over secrets a mount above brought back into view.
    const visible = [...m.covered, ...req.roots, ...profile.readOnly, ...profile.readWrite];
    const named = new Set([...profile.readOnly, ...profile.readWrite].map((p) => path.resolve(p)));
    for (const secret of [req.gatewayHome, ...HOME_SECRETS.map((s) => path.join(home, s))]) {
      if (named.has(secret) || !visible.some((v) => within(secret, v))) continue;
      const st = exists(secret);
      if (!st) continue;
      if (st.isDirectory()) m.args.push('--tmpfs', secret, '--remount-ro', secret);
      else m.args.push('--ro-bind', '/dev/null', secret);
    }

    const args = [
      ...m.args,
      '--unshare-all',
      ...(profile.network === 'all' ? ['--share-net'] : []),
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--hostname',
      'sandbox',
      '--setenv',
      'HOME',
      home,
    ];
    if (req.cwd !== undefined) args.push('--chdir', req.cwd);

    // Limits.
    const limits = planLimits({
      limits: profile.limits,
      server: req.server,
      prlimit: findProgram('prlimit', childPath),
    });
    cleanups.push(() => limits.cleanup());
    how.push(...limits.how);

    return {
      command: limits.wrapper.length > 0 ? limits.wrapper[0]! : support.bwrap,
      args: [
        ...limits.wrapper.slice(1),
        ...(limits.wrapper.length > 0 ? [support.bwrap] : []),
        ...args,
        '--',
        ...limits.inside,
        ...inner,
      ],
      env: childEnv,
      // bwrap changes directory itself (--chdir); it starts where the gateway is.
      cwd: undefined,
      confined: true,
      summary: `sandboxed (bubblewrap ${support.version}; ${how.join('; ')})`,
      cleanup: () => cleanupAll(cleanups, req.log),
    };
  };
  try {
    return await run();
  } catch (error) {
    await cleanupAll(cleanups, req.log);
    throw error;
  }
}
const cleanupAll = async (cleanups: (() => Promise<void> | void)[], log: Logger): Promise<void> => {
  for (const c of cleanups.reverse())
    try {
      await c();
    } catch (error) {
      log.warn({ err: String(error) }, 'sandbox cleanup failed');
    }
};

/**
 * What to show of a program: its install prefix when it sits in <prefix>/bin (nvm, pyenv, a venv), else its folder;
 * only the file itself when that would show the home folder (~/bin/tool) or the whole disk.
 */
function runtimePrefix(program: string, home: string): string {
  const dir = path.dirname(program);
  const prefix = path.basename(dir) === 'bin' ? path.dirname(dir) : dir;
  return within(home, prefix) ? program : prefix;
}

/** The program named by a script's "#!" line, if any (env is followed to the program it runs). */
function shebangProgram(file: string, pathVar: string): string | undefined {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, 256, 0);
    fs.closeSync(fd);
    head = buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  }
  if (!head.startsWith('#!')) return undefined;
  const parts = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
  if (parts[0] === undefined) return undefined;
  if (path.basename(parts[0]) !== 'env') return parts[0];
  const name = parts.slice(1).find((p) => !p.startsWith('-'));
  return name === undefined ? undefined : findProgram(name, pathVar);
}

/** An argument that names an existing file (a script, a module given as a file: URL). */
function argumentPath(arg: string, cwd: string | undefined): string | undefined {
  let p = arg;
  if (p.startsWith('file://'))
    try {
      p = fileURLToPath(p);
    } catch {
      return undefined;
    }
  if (!path.isAbsolute(p)) {
    if (!/^\.{0,2}\//.test(p) && !/\.(c|m)?[jt]s$|\.py$/.test(p)) return undefined;
    p = path.resolve(cwd ?? process.cwd(), p);
  }
  return exists(p)?.isFile() ? p : undefined;
}

/**
 * The folder a script needs: the outermost node_modules it sits in (its dependencies are hoisted there), else the
 * nearest folder with a package.json or pyproject.toml (a project run from source), else its own folder.
 */
function packageRoot(file: string): string {
  const parts = file.split(path.sep);
  const nm = parts.indexOf('node_modules');
  if (nm > 0) return parts.slice(0, nm + 1).join(path.sep);
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir))
    if (['package.json', 'pyproject.toml'].some((f) => fs.existsSync(path.join(dir, f)))) return dir;
  return path.dirname(file);
}

/**
 * A file the build puts beside the bundle (dist/sandbox-relay.cjs, dist/sandbox-preload.cjs): found from the
 * module's own place, whether that is dist/, dist/chunks/ or src/sandbox/ (tests run from source).
 */
export function assetPath(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, path.dirname(here), path.join(here, '..', '..', 'dist')]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${name} is missing from the gateway's installation (rebuild or reinstall the package)`);
}
