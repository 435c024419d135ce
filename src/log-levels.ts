/**
 * The log levels the config and `--log-level` accept, apart from log.ts so that the command line can list them
 * without loading pino (issue 21: `--version` and `--help` load commander alone). No failure mode: constants.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
