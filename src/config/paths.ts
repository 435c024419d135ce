/**
 * Where the gateway keeps its files. Everything lives under one folder, ~/.secure-mcp-gateway by default, which
 * SMG_HOME moves. The config path is <home>/config.json unless SMG_CONFIG, then --config, says otherwise.
 */
import os from 'node:os';
import path from 'node:path';

export interface GatewayPaths {
  home: string;
  config: string;
  cacheDir: string;
  logFile: string;
  /** The default pin lockfile (config integrity.lockfile overrides it). */
  lockfile: string;
  /** Where `tools sign` writes manifests by default: <dir>/<server>.json. */
  manifestsDir: string;
}

export function expandHome(p: string, env: NodeJS.ProcessEnv = process.env): string {
  if (p === '~') return homeDir(env);
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(homeDir(env), p.slice(2));
  return p;
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME ?? env.USERPROFILE ?? os.homedir();
}

export function resolvePaths(
  opts: { config?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): GatewayPaths {
  const home = path.resolve(expandHome(env.SMG_HOME ?? path.join(homeDir(env), '.secure-mcp-gateway'), env));
  const configArg = opts.config ?? env.SMG_CONFIG;
  return {
    home,
    config: configArg !== undefined ? path.resolve(expandHome(configArg, env)) : path.join(home, 'config.json'),
    cacheDir: path.join(home, 'cache'),
    logFile: path.join(home, 'gateway.log'),
    lockfile: path.join(home, 'tools.lock.json'),
    manifestsDir: path.join(home, 'manifests'),
  };
}
