/**
 * Early spawn (issue 21): the stdio upstreams of `start` are spawned as the process begins, before the gateway's own
 * modules load, which takes about as long as a warm upstream needs to start: a first call then waits for the longer
 * of the two, not for both in turn. What runs is still decided by the validated config: the stdio transport adopts a
 * child only when its command, arguments, environment and folder are exactly what the loaded config resolves
 * (stdio-transport.ts), the upstream's initialize still waits for the client's (its capabilities are the client's),
 * and a child that nobody adopts is killed with its process group soon after the upstreams start, or when the
 * process exits.
 *
 * Failure mode: any doubt spawns nothing, and the upstream starts as before, when the client's `initialize` arrives.
 * Doubt is another command or an option this module does not know, a config it cannot read, a server with a
 * `${file:}`/`${keychain:}` reference or an unset `${env:}` one, a folder or roots, a sandbox anywhere in the config (a confined server must never
 * run unconfined, not even for a moment), identities or a gateway key (the caller may not be allowed the server).
 * This module runs before everything else loads: it imports node: modules and config/paths.ts only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { resolvePaths } from '../config/paths.js';

/** What a stdio upstream is started with; the environment is the whole one the child gets. */
export interface SpawnSpec {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string | undefined;
}

/** A child spawned early, adopted by the transport with what it wrote so far. */
export interface EarlyChild {
  child: ChildProcess;
  /** The 'spawn' event has fired. */
  spawned: boolean;
  stdout: Buffer[];
  stderr: Buffer[];
}

interface Pending extends EarlyChild {
  key: string;
  failed: boolean;
  detach(): void;
}

const GROUPS = process.platform !== 'win32';

/**
 * The SDK's getDefaultEnvironment() (client/stdio.js), repeated here because importing it loads the SDK's types and
 * zod. A test holds the two equal; a difference would only make the transport spawn its own child.
 */
const INHERITED =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

export function defaultEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = env[key];
    if (value !== undefined && !value.startsWith('()')) out[key] = value;
  }
  return out;
}

/** The options every stdio upstream is spawned with (its own process group: close() signals the whole group). */
export function spawnOptions(spec: SpawnSpec) {
  return {
    env: { ...spec.env },
    cwd: spec.cwd,
    stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
    detached: GROUPS,
    windowsHide: true,
    shell: false,
  };
}

function keyOf(spec: SpawnSpec): string {
  const env = Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([spec.command, spec.args, spec.cwd ?? null, env]);
}

const pending: Pending[] = [];
let exitHook = false;

/**
 * The config file `start` would read, from a command line of `start` and its options only; undefined for anything
 * else (another command, --help, an option this module does not know).
 */
export function startConfigPath(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const rest = argv.slice(2);
  if (rest[0] === 'start') rest.shift();
  let config: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg] : [arg];
    const value = inline !== undefined ? inline.slice(inline.indexOf('=') + 1) : rest[++i];
    if (value === undefined || (inline === undefined && value.startsWith('-'))) return undefined;
    if (flag === '-c' || flag === '--config') config = value;
    else if (flag !== '--log-level') return undefined;
  }
  return resolvePaths({ config }, env).config;
}

const REF = /\$\$\{|\$\{(env|file|keychain):([^}]*)\}/g;

/**
 * A config string with its `${env:NAME}` references resolved as config/refs.ts does; undefined for anything else
 * (a `${file:}` or `${keychain:}` reference, an unset variable): that server is not spawned early.
 */
function plain(value: unknown, env: NodeJS.ProcessEnv): string | undefined {
  if (typeof value !== 'string') return undefined;
  let ok = true;
  const out = value.replace(REF, (match, kind: string | undefined, arg: string | undefined) => {
    if (match === '$${') return '${';
    const v = kind === 'env' && arg?.trim() ? env[arg.trim()] : undefined;
    if (v === undefined) ok = false;
    return v ?? '';
  });
  return ok ? out : undefined;
}

/**
 * The servers of a config that `start` would spawn unconfined, exactly as written: none when the config has
 * identities or a sandbox section, and only servers with a plain command line (`${env:}` references at most, no
 * folder or roots).
 */
export function earlySpecs(raw: unknown, env: NodeJS.ProcessEnv = process.env): SpawnSpec[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const config = raw as Record<string, unknown>;
  if (config.sandbox !== undefined) return [];
  const users = config.users;
  if (users !== undefined && (typeof users !== 'object' || users === null || Object.keys(users).length > 0)) return [];
  const servers = config.servers;
  if (typeof servers !== 'object' || servers === null) return [];
  const specs: SpawnSpec[] = [];
  for (const entry of Object.values(servers)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const s = entry as Record<string, unknown>;
    if (s.enabled === false || s.url !== undefined || s.cwd !== undefined || s.roots !== undefined) continue;
    if (s.perUser !== undefined || (s.sandbox !== undefined && s.sandbox !== false)) continue;
    const command = plain(s.command, env);
    const rawArgs = s.args ?? [];
    const own = s.env ?? {};
    if (command === undefined || !Array.isArray(rawArgs)) continue;
    if (typeof own !== 'object' || own === null || Array.isArray(own)) continue;
    const args = rawArgs.map((a) => plain(a, env));
    const vars = Object.entries(own).map(([k, v]) => [k, plain(v, env)] as const);
    if (args.includes(undefined) || vars.some(([, v]) => v === undefined)) continue;
    specs.push({
      command,
      args: args as string[],
      env: { ...defaultEnvironment(env), ...(Object.fromEntries(vars) as Record<string, string>) },
    });
  }
  return specs;
}

/**
 * Spawns the upstreams `start` will use, if this command line is `start` and its config allows it (see the module
 * header). Never throws: a failure here only means the upstreams start later.
 */
export function spawnEarly(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): number {
  try {
    if (env.SMG_GATEWAY_KEY !== undefined || env.SMG_EARLY_SPAWN === '0') return 0;
    const file = startConfigPath(argv, env);
    if (file === undefined) return 0;
    const specs = earlySpecs(JSON.parse(fs.readFileSync(file, 'utf8')), env);
    for (const spec of specs) spawnOne(spec);
    // A client that never initializes: nothing will adopt these.
    if (specs.length > 0) setTimeout(releaseEarly, 60_000).unref();
    return specs.length;
  } catch {
    return 0;
  }
}

function spawnOne(spec: SpawnSpec): void {
  const child = spawn(spec.command, [...spec.args], spawnOptions(spec));
  const p: Pending = { key: keyOf(spec), child, spawned: false, failed: false, stdout: [], stderr: [], detach };
  const onStdout = (c: Buffer) => void p.stdout.push(c);
  const onStderr = (c: Buffer) => void p.stderr.push(c);
  const onSpawn = () => void (p.spawned = true);
  const onError = () => void (p.failed = true);
  child.stdout?.on('data', onStdout);
  child.stderr?.on('data', onStderr);
  // A write error or a failed kill of a child nobody adopts must not become an unhandled 'error'; an adopted child
  // has the transport's own handlers, and these stay harmless beside them.
  child.stdin?.on('error', () => undefined);
  child.once('spawn', onSpawn);
  child.on('error', onError);
  function detach(): void {
    child.stdout?.off('data', onStdout);
    child.stderr?.off('data', onStderr);
    child.off('spawn', onSpawn);
  }
  pending.push(p);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', releaseEarly);
  }
}

/**
 * The child spawned early for exactly this spec, once: it is the caller's from now on, with its output so far.
 * Undefined when there is none, or it failed or has already ended (the caller spawns its own).
 */
export function adoptEarly(spec: SpawnSpec): EarlyChild | undefined {
  if (pending.length === 0) return undefined;
  const key = keyOf(spec);
  const i = pending.findIndex((p) => p.key === key);
  if (i === -1) return undefined;
  const [p] = pending.splice(i, 1) as [Pending];
  p.detach();
  const c = p.child;
  if (p.failed || c.exitCode !== null || c.signalCode !== null || c.pid === undefined) {
    kill(c);
    return undefined;
  }
  return { child: c, spawned: p.spawned, stdout: p.stdout, stderr: p.stderr };
}

/** Kills every early child nobody adopted (its process group). Idempotent. */
export function releaseEarly(): void {
  for (const p of pending.splice(0)) {
    p.detach();
    kill(p.child);
  }
}

/** The pids of the early children that wait for adoption (tests). */
export function earlyPids(): number[] {
  return pending.flatMap((p) => (p.child.pid === undefined ? [] : [p.child.pid]));
}

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (GROUPS) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
