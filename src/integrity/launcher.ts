/**
 * Supply-chain pin for launcher commands (issue 5, scope 7): an upstream started with `npx`, `bunx`, `uvx`, `pipx`
 * or `docker run` runs whatever the registry serves at start-up unless the command names an exact version (or an
 * image digest). A pinned tool definition says nothing about the code behind it, so `doctor` and `scan` warn about
 * unpinned launchers. Reads the command and args exactly as they are in the config; pure, except
 * resolveNpxVersion (which only reads npm's local cache: offline by design) and the fixes that use it.
 *
 * One implementation for every report (issue 17, item 7): `configLauncherFindings` words the fix for the gateway's
 * own config (`servers.<name>.args[i]: "pkg@1.2.3"`, the version npx last installed when npm's cache has it), and
 * `scan`, `scan --clients` and `doctor` all call it or `launcherIssues`, never a copy.
 *
 * Recognised: `npx`, `npm exec|x`, `pnpm dlx`, `pnpx`, `yarn dlx`, `bunx`, `bun x`; `uvx`, `uv tool run`,
 * `pipx run`; `docker|podman [container] run`; any of them behind `cmd /c` (Windows configs). Options are skipped
 * by name; an option this module does not know is taken to have no value, which can only make it read an option's
 * value as the package (and warn), never miss a package.
 *
 * Verdicts, per package: an exact version (npm `x.y.z`, PyPI `==x.y.z` or `@x.y.z`), a git commit or an image digest
 * is pinned; no version, `latest` or another moving tag is `launcher.unpinned` (medium); a version range is
 * `launcher.version-range` (low); an image tag other than latest is `launcher.mutable-tag` (low, tags can be moved);
 * a local path is not a registry package and is left alone.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Finding } from './findings.js';

export type Pin = 'exact' | 'digest' | 'range' | 'tag' | 'latest' | 'none' | 'git' | 'local';

export interface PackageRef {
  /** The package or image, without version, tag or digest. */
  name: string;
  /** As written in the args. */
  spec: string;
  /** Index of the arg it was read from. */
  argIndex: number;
  /** The version, range, tag or commit written, if any. */
  version?: string;
  digest?: string;
  pin: Pin;
}

export interface LauncherInfo {
  /** npx, bunx, pnpm dlx, yarn dlx, uvx, pipx, docker or podman. */
  launcher: string;
  ecosystem: 'npm' | 'pypi' | 'oci';
  packages: PackageRef[];
}

/** What a launcher command runs, or undefined when the command is not a launcher this module knows. */
export function detectLauncher(command: string, args: readonly string[]): LauncherInfo | undefined {
  return detect(command, args, 0);
}

function detect(command: string, args: readonly string[], base: number): LauncherInfo | undefined {
  const cmd = path
    .basename(command.replace(/\\/g, '/'))
    .toLowerCase()
    .replace(/\.(cmd|exe|bat|ps1)$/, '');
  const sub = args[0]?.toLowerCase();
  switch (cmd) {
    case 'cmd':
      if (sub === '/c' || sub === '/k')
        return args[1] === undefined ? undefined : detect(args[1], args.slice(2), base + 2);
      return undefined;
    case 'npx':
    case 'pnpx':
      return npmLike(cmd, args, base, 0);
    case 'bunx':
      return npmLike('bunx', args, base, 0);
    case 'npm':
      return sub === 'exec' || sub === 'x' ? npmLike('npx', args, base, 1) : undefined;
    case 'pnpm':
      return sub === 'dlx' ? npmLike('pnpm dlx', args, base, 1) : undefined;
    case 'yarn':
      return sub === 'dlx' ? npmLike('yarn dlx', args, base, 1) : undefined;
    case 'bun':
      return sub === 'x' ? npmLike('bunx', args, base, 1) : undefined;
    case 'uvx':
      return uvx(args, base, 0);
    case 'uv':
      return sub === 'tool' && args[1] === 'run' ? uvx(args, base, 2) : undefined;
    case 'pipx':
      return sub === 'run' ? pipx(args, base, 1) : undefined;
    case 'docker':
    case 'podman': {
      const start = sub === 'run' ? 1 : sub === 'container' && args[1] === 'run' ? 2 : -1;
      return start < 0 ? undefined : docker(cmd, args, base, start);
    }
    default:
      return undefined;
  }
}

/** Reads options from `args[start]` on: returns the positionals (with their index) and the values of named options. */
function parseOptions(
  args: readonly string[],
  start: number,
  withValue: ReadonlySet<string>,
  stopAtFirstPositional: boolean,
): { positionals: [string, number][]; values: Map<string, [string, number][]> } {
  const positionals: [string, number][] = [];
  const values = new Map<string, [string, number][]>();
  const put = (name: string, value: string, at: number): void => {
    values.set(name, [...(values.get(name) ?? []), [value, at]]);
  };
  for (let i = start; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      if (i + 1 < args.length) positionals.push([args[i + 1]!, i + 1]);
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        put(a.slice(0, eq), a.slice(eq + 1), i);
      } else if (withValue.has(a) && i + 1 < args.length) {
        put(a, args[i + 1]!, i + 1);
        i++;
      }
      continue;
    }
    positionals.push([a, i]);
    if (stopAtFirstPositional) break;
  }
  return { positionals, values };
}

const NPM_VALUE_OPTIONS = new Set([
  '-p',
  '--package',
  '-c',
  '--call',
  '-w',
  '--workspace',
  '--registry',
  '--cache',
  '--loglevel',
  '--userconfig',
  '--prefix',
  '--node-options',
  '--script-shell',
]);

function npmLike(launcher: string, args: readonly string[], base: number, start: number): LauncherInfo | undefined {
  const { positionals, values } = parseOptions(args, start, NPM_VALUE_OPTIONS, true);
  const explicit = [...(values.get('-p') ?? []), ...(values.get('--package') ?? [])];
  // With --package, the first positional is the command to run from it, not a package.
  const specs = explicit.length > 0 ? explicit : positionals.slice(0, 1);
  if (specs.length === 0) return undefined;
  return { launcher, ecosystem: 'npm', packages: specs.map(([spec, at]) => npmPackage(spec, base + at)) };
}

const EXACT_SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const COMMIT = /^[0-9a-f]{40}$/i;

/** A spec that names a local path rather than a registry package. */
const LOCAL_SPEC = /^(?:\.{1,2}(?:\/|\\|$)|\/|~|[A-Za-z]:[\\/]|file:)/;

/** Builds the PackageRefs of one spec, in any ecosystem. */
function refFor(spec: string, argIndex: number) {
  return (name: string, pin: Pin, version?: string): PackageRef => ({
    name,
    spec,
    argIndex,
    pin,
    ...(version === undefined ? {} : { version }),
  });
}

/** An npm package spec: `name`, `name@version`, `@scope/name@range`, a git or tarball URL, or a path. */
export function npmPackage(spec: string, argIndex: number): PackageRef {
  const ref = refFor(spec, argIndex);
  if (LOCAL_SPEC.test(spec)) return ref(spec, 'local');
  const gitLike =
    /^(?:git\+|git:|github:|gitlab:|bitbucket:|https?:)/.test(spec) || /^[\w.-]+\/[\w.-]+(?:#.*)?$/.test(spec);
  if (gitLike) {
    const hash = spec.indexOf('#');
    const commit = hash < 0 ? undefined : spec.slice(hash + 1);
    const name = hash < 0 ? spec : spec.slice(0, hash);
    if (/^https?:/.test(spec) && /\.(?:tgz|tar\.gz)$/.test(name)) return ref(name, 'exact', name);
    return ref(name, commit !== undefined && COMMIT.test(commit) ? 'exact' : 'git', commit);
  }
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  if (at < 0) return ref(spec, 'none');
  const name = spec.slice(0, at);
  const version = spec.slice(at + 1);
  return ref(name, npmVersionPin(version), version);
}

function npmVersionPin(version: string): Pin {
  if (version === '' || version === '*') return 'none';
  if (version === 'latest') return 'latest';
  if (EXACT_SEMVER.test(version)) return 'exact';
  if (/^[\d^~<>=*xX|.\s-]/.test(version)) return 'range';
  return 'tag'; // a dist-tag (next, beta): it moves like latest
}

const UV_VALUE_OPTIONS = new Set([
  '--from',
  '--with',
  '-w',
  '--with-editable',
  '--with-requirements',
  '--python',
  '-p',
  '--index',
  '--index-url',
  '-i',
  '--extra-index-url',
  '--default-index',
  '--find-links',
  '-f',
  '--constraints',
  '--overrides',
  '--directory',
  '--project',
  '--config-file',
  '--cache-dir',
  '--refresh-package',
  '--reinstall-package',
  '--upgrade-package',
  '-P',
  '--env-file',
  '--exclude-newer',
  '--prerelease',
  '--resolution',
  '--index-strategy',
  '--keyring-provider',
  '--color',
  '--link-mode',
  '--python-preference',
]);

function uvx(args: readonly string[], base: number, start: number): LauncherInfo | undefined {
  const { positionals, values } = parseOptions(args, start, UV_VALUE_OPTIONS, true);
  const from = values.get('--from') ?? [];
  const main = from.length > 0 ? from : positionals.slice(0, 1);
  const extra = [...(values.get('--with') ?? []), ...(values.get('-w') ?? [])].flatMap(([v, at]) =>
    v.split(',').map((s): [string, number] => [s.trim(), at]),
  );
  const specs = [...main, ...extra].filter(([s]) => s !== '');
  if (specs.length === 0) return undefined;
  return {
    launcher: 'uvx',
    ecosystem: 'pypi',
    packages: specs.map(([spec, at]) => pypiPackage(spec, base + at, true)),
  };
}

const PIPX_VALUE_OPTIONS = new Set([
  '--spec',
  '--python',
  '--pip-args',
  '--index-url',
  '-i',
  '--backend',
  '--fetch-python',
]);

function pipx(args: readonly string[], base: number, start: number): LauncherInfo | undefined {
  const { positionals, values } = parseOptions(args, start, PIPX_VALUE_OPTIONS, true);
  const spec = values.get('--spec') ?? positionals.slice(0, 1);
  if (spec.length === 0) return undefined;
  return { launcher: 'pipx', ecosystem: 'pypi', packages: spec.map(([s, at]) => pypiPackage(s, base + at, false)) };
}

/** A PyPI requirement: `name`, `name==1.2.3`, `name[extra]>=1`, `name@1.2.3` (uvx), a URL or a path. */
export function pypiPackage(spec: string, argIndex: number, atVersion: boolean): PackageRef {
  const ref = refFor(spec, argIndex);
  if (LOCAL_SPEC.test(spec)) return ref(spec, 'local');
  const direct = /^(?:git\+|https?:)/.test(spec) ? spec : /\s@\s*(\S+)$/.exec(spec)?.[1];
  if (direct !== undefined) {
    const commit = /@([0-9a-f]{40})(?:#.*)?$/i.exec(direct)?.[1];
    const name = spec.split(/\s*@\s*(?=git\+|https?:)/)[0]!.trim();
    if (/\.(?:whl|tar\.gz|zip)(?:#.*)?$/.test(direct)) return ref(name, 'exact', direct);
    return ref(name, commit === undefined ? 'git' : 'exact', commit);
  }
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(spec);
  if (m === null) return ref(spec, 'none');
  const name = m[1]!;
  const rest = m[3]!.trim();
  if (rest === '') return ref(name, 'none');
  if (atVersion && rest.startsWith('@')) {
    const v = rest.slice(1);
    return ref(name, v === 'latest' ? 'latest' : /^\d+(?:\.\d+)*(?:[a-z]+\d*)?$/i.test(v) ? 'exact' : 'tag', v);
  }
  const exact = /^===?\s*([^\s,;]+)$/.exec(rest);
  if (exact !== null && !exact[1]!.includes('*')) return ref(name, 'exact', exact[1]);
  return ref(name, 'range', rest);
}

const DOCKER_VALUE_OPTIONS = new Set(
  (
    '-a --attach --add-host --annotation --blkio-weight --blkio-weight-device --cap-add --cap-drop --cgroup-parent ' +
    '--cgroupns --cidfile --cpu-count --cpu-percent --cpu-period --cpu-quota --cpu-rt-period --cpu-rt-runtime -c ' +
    '--cpu-shares --cpus --cpuset-cpus --cpuset-mems --device --device-cgroup-rule --device-read-bps ' +
    '--device-read-iops --device-write-bps --device-write-iops --dns --dns-option --dns-search --domainname ' +
    '--entrypoint -e --env --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries ' +
    '--health-start-interval --health-start-period --health-timeout -h --hostname --ip --ip6 --ipc --isolation ' +
    '--kernel-memory -l --label --label-file --link --link-local-ip --log-driver --log-opt --mac-address -m --memory ' +
    '--memory-reservation --memory-swap --memory-swappiness --mount --name --network --net --network-alias ' +
    '--net-alias --oom-score-adj --pid --pids-limit --platform -p --publish --pull --restart --runtime ' +
    '--security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs --ulimit -u --user ' +
    '--userns --uts -v --volume --volume-driver --volumes-from -w --workdir --detach-keys --arch --os --variant ' +
    '--pod --secret --uidmap --gidmap --subuidname --subgidname'
  ).split(' '),
);

function docker(launcher: string, args: readonly string[], base: number, start: number): LauncherInfo | undefined {
  const { positionals } = parseOptions(args, start, DOCKER_VALUE_OPTIONS, true);
  const first = positionals[0];
  if (first === undefined) return undefined;
  return { launcher, ecosystem: 'oci', packages: [imageRef(first[0], base + first[1])] };
}

/** An image reference: `[registry[:port]/]path[:tag][@sha256:digest]`. */
export function imageRef(spec: string, argIndex: number): PackageRef {
  const at = spec.indexOf('@');
  const digest = at < 0 ? undefined : spec.slice(at + 1);
  const beforeDigest = at < 0 ? spec : spec.slice(0, at);
  const slash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', slash + 1);
  const name = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon < 0 ? undefined : beforeDigest.slice(colon + 1);
  const base = { name, spec, argIndex, ...(tag === undefined ? {} : { version: tag }) };
  if (digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(digest)) return { ...base, digest, pin: 'digest' };
  return { ...base, pin: tag === undefined ? 'none' : tag === 'latest' ? 'latest' : 'tag' };
}

// ---------------------------------------------------------------------------------------------------------------

/** A finding with the launcher and package it is about, so that a caller can word the fix for where it applies. */
export interface LauncherIssue {
  finding: Finding;
  info: LauncherInfo;
  ref: PackageRef;
}

/** The findings of a command with what each is about; checkLauncher without the context dropped. */
export function launcherIssues(
  command: string,
  args: readonly string[],
  opts: { server?: string } = {},
): LauncherIssue[] {
  const info = detectLauncher(command, args);
  if (info === undefined) return [];
  const out: LauncherIssue[] = [];
  for (const ref of info.packages) {
    const f = verdict(info, ref);
    if (f === undefined) continue;
    const finding = {
      ...f,
      ...(opts.server === undefined ? {} : { server: opts.server }),
      where: `args[${ref.argIndex}]`,
    };
    out.push({ finding, info, ref });
  }
  return out;
}

/** Findings for a server's command: unpinned packages (medium), ranges and mutable tags (low). */
export function checkLauncher(command: string, args: readonly string[], opts: { server?: string } = {}): Finding[] {
  return launcherIssues(command, args, opts).map((i) => i.finding);
}

/** Where a suggested version comes from: npm's local npx cache, and versions the caller knows (its own package). */
export interface PinLookup {
  /** npm's cache folder (default: npm_config_cache, else ~/.npm). */
  npmCacheDir?: string;
  /** A version known without looking (e.g. the gateway's own), by package name. */
  known?: Readonly<Record<string, string>>;
}

/**
 * The argument that pins an issue's package, with a note on where the version came from (issue 17, item 7): the
 * version npx last installed here when npm's cache has it, else a `<version>` placeholder and the command that shows
 * the newest. Offline: it reads files only. A git source without a commit gets a `#<commit>` placeholder.
 */
export async function pinnedArg(
  issue: LauncherIssue,
  args: readonly string[],
  lookup: PinLookup = {},
): Promise<{ arg: string; note: string }> {
  const { info, ref } = issue;
  let spec: string;
  let note = '';
  if (ref.pin === 'git') {
    spec = `${ref.name}#<40-hex commit>`;
  } else if (info.ecosystem === 'oci') {
    spec = `${ref.name}@sha256:<digest>`;
    note = ' (docker images --digests shows it)';
  } else {
    const known =
      lookup.known?.[ref.name] ??
      (info.ecosystem === 'npm'
        ? (await resolveNpxVersion(ref.name, lookup.npmCacheDir === undefined ? {} : { cacheDir: lookup.npmCacheDir }))
            ?.version
        : undefined);
    const version = known ?? '<version>';
    // uvx takes `name@version` for the package it runs; --from, --with and pipx take a requirement.
    const at =
      info.ecosystem === 'npm' ||
      (info.launcher === 'uvx' &&
        args[ref.argIndex] === ref.spec &&
        !/^(?:--from|--with|-w)$/.test(args[ref.argIndex - 1] ?? ''));
    spec = at ? `${ref.name}@${version}` : `${ref.name}==${version}`;
    note =
      lookup.known?.[ref.name] !== undefined
        ? ''
        : known !== undefined
          ? ' (the version npx last installed here)'
          : info.ecosystem === 'npm'
            ? ` (npm view ${ref.name} version shows the newest)`
            : '';
  }
  // The spec may sit inside the argument (`--package=pkg`, `--from=pkg`): only that part changes.
  const written = args[ref.argIndex] ?? ref.spec;
  const arg = written.endsWith(ref.spec) ? `${written.slice(0, written.length - ref.spec.length)}${spec}` : spec;
  return { arg, note };
}

/** A server as the gateway config has it: the part the launcher check reads. */
export interface LauncherServer {
  name: string;
  command?: string | undefined;
  args: readonly string[];
}

/** The fix of an issue in the gateway's own config: the argument to write at `servers.<name>.args[i]`. */
export async function configPinFix(
  server: string,
  issue: LauncherIssue,
  args: readonly string[],
  lookup: PinLookup = {},
): Promise<string> {
  const { arg, note } = await pinnedArg(issue, args, lookup);
  return `pin it in the gateway config: servers.${server}.args[${issue.ref.argIndex}]: ${JSON.stringify(arg)}${note}`;
}

/**
 * The launcher findings of the gateway's own servers, each with its fix in the gateway config (issue 17, item 7).
 * `scan` and `doctor` both report these, so that both say the same thing in the same words.
 */
export async function configLauncherFindings(
  servers: readonly LauncherServer[],
  lookup: PinLookup = {},
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const s of servers) {
    if (s.command === undefined) continue;
    for (const issue of launcherIssues(s.command, s.args, { server: s.name }))
      out.push({ ...issue.finding, remediation: await configPinFix(s.name, issue, s.args, lookup) });
  }
  return out;
}

function verdict(info: LauncherInfo, p: PackageRef): Omit<Finding, 'where'> | undefined {
  const fix =
    info.ecosystem === 'oci'
      ? `Pin the image by digest: ${p.name}@sha256:<digest> (docker images --digests shows it).`
      : info.ecosystem === 'npm'
        ? `Pin an exact version: ${p.name}@<version> (npm view ${p.name} version shows the newest).`
        : `Pin an exact version: ${p.name}==<version>.`;
  const what = `${info.launcher} runs ${p.spec}`;
  switch (p.pin) {
    case 'exact':
    case 'digest':
    case 'local':
      return undefined;
    case 'none':
      return {
        ruleId: 'launcher.unpinned',
        severity: 'medium',
        message: `${what} without a version: whatever the registry serves at start-up runs, unreviewed`,
        remediation: fix,
      };
    case 'latest':
      return {
        ruleId: 'launcher.unpinned',
        severity: 'medium',
        message: `${what}: "latest" follows every new release, unreviewed`,
        remediation: fix,
      };
    case 'git':
      return {
        ruleId: 'launcher.unpinned',
        severity: 'medium',
        message: `${what}, a git source without a commit: the branch can move`,
        remediation: 'Pin a full commit hash (…#<40 hex digits>).',
      };
    case 'tag':
      return info.ecosystem === 'oci'
        ? {
            ruleId: 'launcher.mutable-tag',
            severity: 'low',
            message: `${what}: the tag "${p.version ?? ''}" can be moved to another image`,
            remediation: fix,
          }
        : {
            ruleId: 'launcher.unpinned',
            severity: 'medium',
            message: `${what}: the tag "${p.version ?? ''}" moves with each release`,
            remediation: fix,
          };
    case 'range':
      return {
        ruleId: 'launcher.version-range',
        severity: 'low',
        message: `${what}: the range "${p.version ?? ''}" lets new releases in`,
        remediation: fix,
      };
  }
}

/**
 * The version npx last installed for `pkg`, read offline from npm's cache (`<cache>/_npx/<hash>/node_modules/<pkg>`;
 * the cache is `npm_config_cache` or ~/.npm). Several entries can hold the package; the most recently installed one
 * is taken, which is what a plain `npx pkg` runs when it does not fetch a newer one. Undefined when not found.
 */
export async function resolveNpxVersion(
  pkg: string,
  opts: { cacheDir?: string } = {},
): Promise<{ version: string; path: string } | undefined> {
  const cache = opts.cacheDir ?? process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
  const root = path.join(cache, '_npx');
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch {
    return undefined;
  }
  let best: { version: string; path: string; mtimeMs: number } | undefined;
  for (const entry of entries) {
    const manifest = path.join(root, entry, 'node_modules', pkg, 'package.json');
    try {
      const [text, stat] = await Promise.all([fs.readFile(manifest, 'utf8'), fs.stat(manifest)]);
      const version = (JSON.parse(text) as { version?: unknown }).version;
      if (typeof version !== 'string') continue;
      if (best === undefined || stat.mtimeMs > best.mtimeMs) best = { version, path: manifest, mtimeMs: stat.mtimeMs };
    } catch {
      // not in this entry, or unreadable
    }
  }
  return best === undefined ? undefined : { version: best.version, path: best.path };
}

/** The launcher entry for the lockfile (LauncherPin without its time), for the first package of a command. */
export function launcherPin(
  info: LauncherInfo,
  resolved?: string,
): { launcher: string; package: string; requested?: string; resolved?: string } {
  const p = info.packages[0]!;
  const requested = p.digest ?? p.version;
  return {
    launcher: info.launcher,
    package: p.name,
    ...(requested === undefined ? {} : { requested }),
    ...(resolved === undefined ? {} : { resolved }),
  };
}
