/**
 * The CLI's exit codes (docs/cli.md), apart from main.ts so that a command module can name one without loading the
 * command line, and main.ts can name one without loading the command (issue 21: `--version` loads no command).
 */

/** `check`: the policy blocks the input. */
export const EXIT_BLOCKED = 5;

/** `audit verify` found a broken chain. */
export const EXIT_AUDIT = 7;

/** Exit codes. 0 is success; a clean shutdown on stdin EOF or a signal is success too. */
export const EXIT = {
  OK: 0,
  ERROR: 1, // an unexpected failure; a server that cannot be reached
  USAGE: 2, // bad command line
  CONFIG_MISSING: 3,
  CONFIG_INVALID: 4, // the config, the lockfile or a signing key
  BLOCKED: EXIT_BLOCKED, // `check`: the policy blocks the input
  INTEGRITY: 6, // `scan`: a finding at or above --fail-on; `tools verify`: a manifest or a tool does not verify
  AUDIT: EXIT_AUDIT, // `audit verify`: the hash chain of the audit log is broken
} as const;
