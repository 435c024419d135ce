/**
 * Test support: makes `onnxruntime-node` importable from the checkout for the local-model tests. It is not a
 * devDependency: on Linux x64 its install script downloads CUDA libraries from NuGet, so `npm ci` in a fresh checkout
 * would fail where NuGet is unreachable (or pull hundreds of MB for nothing). The tests fetch it themselves instead:
 * when it does not resolve from the checkout, the pinned version is installed with `--ignore-scripts` (the CPU
 * binaries ship in the npm package; the script only fetches CUDA) under node_modules/.cache/smg-onnxruntime, and
 * node_modules/onnxruntime-node is linked to it. Node resolves the runtime's own dependencies from the real path.
 *
 * Runs once per `vitest run` (globalSetup in vitest.config.ts). Two runs at once each install into their own
 * directory and publish it with a rename, so neither sees a half-installed tree.
 *
 * Failure mode: LOUD. When npm cannot install it, this throws with npm's output and the run stops: the tests that need
 * the runtime must not be skipped or pass without it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version the tests run against; the package's peer range (package.json) is wider. */
export const ONNX_RUNTIME_VERSION = '1.30.0';
const PACKAGE = 'onnxruntime-node';
const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url));
/** An npm install of ~100 MB on a slow line; past this the run fails rather than hangs. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export interface EnsureOptions {
  /** The checkout whose node_modules gets the runtime (tests point it at a temporary directory). */
  root?: string;
  /** The npm command; tests replace it to play a machine where npm fails. */
  npm?: string;
  version?: string;
}

/**
 * Where the package resolves from `root` (Node's lookup: node_modules/<name> in `root` and each parent), or undefined.
 * Not require.resolve: it caches its answers per process, and a removed link would still resolve.
 */
export function resolveOnnxRuntime(root: string = CHECKOUT): string | undefined {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', PACKAGE, 'package.json');
    if (fs.existsSync(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Makes `onnxruntime-node` resolve from `root`; returns what it did. Throws with npm's output when it cannot.
 */
export function ensureOnnxRuntime(options: EnsureOptions = {}): 'present' | 'linked' | 'installed' {
  const root = options.root ?? CHECKOUT;
  if (resolveOnnxRuntime(root)) return 'present';
  const version = options.version ?? ONNX_RUNTIME_VERSION;
  const modules = path.join(root, 'node_modules');
  const cache = path.join(modules, '.cache', 'smg-onnxruntime', version);
  const installed = path.join(cache, 'node_modules', PACKAGE);
  let did: 'linked' | 'installed' = 'linked';
  if (!fs.existsSync(path.join(installed, 'package.json'))) {
    install(cache, version, options.npm ?? 'npm');
    did = 'installed';
  }
  // A symlink made beside the final name and renamed onto it: rename replaces a link atomically, so a concurrent run
  // sees either nothing or a complete link.
  const link = path.join(modules, PACKAGE);
  const tmpLink = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(installed, tmpLink, 'junction');
  fs.renameSync(tmpLink, link);
  if (!resolveOnnxRuntime(root))
    throw new Error(`${PACKAGE} still does not resolve from ${root} after linking ${link}`);
  return did;
}

function install(cache: string, version: string, npm: string): void {
  const tmp = `${cache}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const args = [
    'install',
    '--prefix',
    tmp,
    '--no-save',
    '--no-package-lock',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    `${PACKAGE}@${version}`,
  ];
  const result = spawnSync(npm, args, {
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
    shell: process.platform === 'win32',
    // --prefix alone decides where it goes: a prefix inherited from `npm run` must not move it.
    env: { ...process.env, npm_config_prefix: undefined, npm_config_global: undefined },
  });
  if (result.status !== 0 || !fs.existsSync(path.join(tmp, 'node_modules', PACKAGE, 'package.json'))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const why = result.error ? messageOf(result.error) : `exit ${String(result.status ?? result.signal)}`;
    throw new Error(
      `the local-model tests need ${PACKAGE}@${version} and could not install it (${npm} ${args.join(' ')}: ${why})\n` +
        `${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  try {
    fs.renameSync(tmp, cache);
  } catch (error) {
    // Another run published the same version first: use that one.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(cache, 'node_modules', PACKAGE, 'package.json'))) throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** vitest globalSetup entry (vitest.config.ts). */
export default function setup(): void {
  ensureOnnxRuntime();
}
