/**
 * Logging. stdout belongs to the MCP protocol, so pino writes to fd 2 and, where configured, to
 * ~/.secure-mcp-gateway/gateway.log (mode 0600). Known secret shapes are redacted by key before any sink sees
 * them, and `maskSecrets` removes resolved secret values (env and header values from config) from free text such
 * as an upstream's stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export { LOG_LEVELS } from './log-levels.js';

const REDACT_PATHS = [
  'env',
  'headers',
  '*.env',
  '*.headers',
  '*.authorization',
  '*.Authorization',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.secret',
  'arguments',
  '*.arguments',
  // Secret-bearing config and protocol fields, wherever a log line carries them (audit key, cookies, results).
  '*.hmacKey',
  '*.cookie',
  '*.Cookie',
  '*.privateKey',
  '*.credentials',
  'result.content',
  'result.structuredContent',
  '*.structuredContent',
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Absolute path of the log file, or undefined for stderr only. */
  file?: string | undefined;
  /** One more destination for the same (already redacted) lines, e.g. the OpenTelemetry log export. */
  extra?: pino.DestinationStream | undefined;
}

export function createLogger(opts: LoggerOptions): Logger {
  // A multistream entry defaults to 'info'; give each entry the logger's own level ('silent' writes nothing anyway).
  const level: pino.Level = opts.level === 'silent' ? 'fatal' : opts.level;
  const streams: pino.StreamEntry[] = [{ level, stream: pino.destination({ fd: 2, sync: false }) }];
  if (opts.file !== undefined) {
    fs.mkdirSync(path.dirname(opts.file), { recursive: true, mode: 0o700 });
    // Open it ourselves, with 0600 (log lines carry tool names and upstream stderr), so the destination is ready
    // at once: a destination that opens its file asynchronously cannot be flushed by a fast exit.
    const fd = fs.openSync(opts.file, 'a', 0o600);
    streams.push({ level, stream: pino.destination({ fd, sync: false }) });
  }
  if (opts.extra) streams.push({ level, stream: opts.extra });
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams),
  );
}

/** Flushes buffered log lines, bounded in time; never throws. */
export function flushLogger(log: Logger, timeoutMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    try {
      log.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** A logger that writes nowhere, for unit tests and the in-process API. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Secret values shorter than this are not masked: they would mask ordinary words. */
const MIN_SECRET_LENGTH = 6;

/** Replaces every occurrence of the given secret values in `text` with [REDACTED]. */
export function createSecretMasker(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join('[REDACTED]');
    return out;
  };
}
