/**
 * Builds the audit sink from the config at start-up: the log path (relative to the config file, default
 * <home>/audit.jsonl), the HMAC key from its ${file:…}/${env:…} reference, the writer, and the OpenTelemetry
 * observer, which is imported only when `telemetry.otlp` is set: with telemetry off, no OpenTelemetry code is
 * loaded at all. Failure mode: a key reference that cannot be resolved is a CONFIG_INVALID error naming
 * `audit.hmacKey`; a log that cannot be opened is not an error here (the writer reports it, and `audit.required`
 * decides whether calls may run).
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { expandHome, type GatewayPaths } from '../config/paths.js';
import { RefError, resolveRefs } from '../config/refs.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { createChain } from './chain.js';
import type { LogForwarder } from './log-forward.js';
import { createRedactor } from './redact.js';
import { AuditSink, type AuditObserver } from './sink.js';
import { AuditWriter } from './writer.js';

/** The audit log file and its HMAC key, as the config says; shared by `start` and the `audit` commands. */
export function auditLocation(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  env: NodeJS.ProcessEnv = process.env,
): { file: string; key?: string } {
  const audit = loaded.config.audit;
  const baseDir = path.dirname(loaded.file);
  const file = audit.path ? path.resolve(baseDir, expandHome(audit.path, env)) : path.join(paths.home, 'audit.jsonl');
  if (audit.hmacKey === undefined) return { file };
  try {
    const key = resolveRefs(audit.hmacKey, { env, baseDir });
    if (key.length < 16) throw new RefError('the key is shorter than 16 characters');
    return { file, key };
  } catch (error) {
    if (!(error instanceof RefError)) throw error;
    throw new GatewayError('CONFIG_INVALID', `${loaded.file}: invalid config:\n  at audit.hmacKey: ${error.message}`);
  }
}

export async function createAuditSink(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  log: Logger,
  extra: AuditObserver[] = [],
  forwarder?: LogForwarder,
): Promise<AuditSink> {
  const audit = loaded.config.audit;
  const { file, key } = auditLocation(loaded, paths);
  const observers = [...extra];
  const otlp = loaded.config.telemetry.otlp;
  if (otlp) {
    const { createOtelObserver } = await import('./otel.js');
    observers.push(createOtelObserver(otlp, loaded, log, forwarder));
  }
  const writer = audit.enabled
    ? new AuditWriter({
        file,
        chain: createChain(key),
        fsync: audit.fsync,
        fsyncIntervalMs: audit.fsyncIntervalMs,
        maxFileBytes: audit.maxFileBytes,
        log: log.child({ component: 'audit' }),
      })
    : undefined;
  if (writer && !writer.healthy)
    log.error(
      { file, required: audit.required },
      audit.required
        ? 'the audit log cannot be written and audit.required is set: every call will be blocked until it can'
        : 'the audit log cannot be written: calls go on UNAUDITED',
    );
  return new AuditSink({
    writer,
    required: audit.required,
    fsync: audit.fsync,
    redactor: createRedactor(audit.arguments, key),
    argumentsMode: audit.arguments,
    observers,
    log,
  });
}
