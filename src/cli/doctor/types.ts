/**
 * `doctor` (issue 8): the shape of a check. A check is one file under checks/ that exports a `DoctorCheck`, listed
 * once in checks/index.ts; it returns one or more results, each ✓ ok / ⚠ warn / ✗ fail (or – skip when what it
 * needs is broken), with a one-line fix. Checks share the expensive work (loading the config, connecting to the
 * upstreams) through the memoised `DoctorContext`, so each upstream is spawned once per run.
 *
 * Failure mode: a check that throws becomes a ✗ result naming the check and the error; the others still run.
 */
import type { LoadedConfig } from '../../config/load.js';
import type { GatewayPaths } from '../../config/paths.js';
import type { CatalogOptions } from '../../clients/catalog.js';
import type { Listed } from '../catalogs.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** What was checked: "config", "upstream fs", "provider moderation". */
  subject: string;
  /** One line: what was found. */
  detail: string;
  /** One line: what to do about it (warn and fail). */
  fix?: string;
  ms?: number;
}

export interface DoctorCheck {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<CheckResult[]> | CheckResult[];
}

export interface TimedListed {
  listed: Listed;
  ms: number;
}

export interface DoctorContext {
  paths: GatewayPaths;
  env: NodeJS.ProcessEnv;
  catalog: CatalogOptions;
  /** The config loaded exactly as `start` loads it, or the error that stops it. */
  loaded(): { loaded: LoadedConfig } | { error: string };
  /** Every enabled upstream connected once and listed (memoised), with the time each took. */
  catalogs(): Promise<TimedListed[]>;
}
