/**
 * The vocabulary of the argument-kind checkers (issue 4). A checker is built once from plain options and then
 * checks one argument value at a time: `null` means fine, an ArgViolation names the rule and says what was wrong.
 * Checkers never throw on a value; a bad option throws when the checker is created (the config loader turns that
 * into CONFIG_INVALID). Only the URL checker with `resolve: true` is asynchronous, and only for DNS names.
 */

export type ArgKind = 'path' | 'url' | 'command' | 'sql' | 'generic';

export type PathRuleId =
  | 'args.path.not-string'
  | 'args.path.nul-byte'
  | 'args.path.control-char'
  | 'args.path.unicode-lookalike'
  | 'args.path.windows-device'
  | 'args.path.windows-path'
  | 'args.path.home-expansion'
  | 'args.path.variable-expansion'
  | 'args.path.file-url'
  | 'args.path.traversal'
  | 'args.path.encoded-traversal'
  | 'args.path.symlink-escape'
  | 'args.path.outside'
  | 'args.path.unresolvable'
  | 'args.path.credential';

export type UrlRuleId =
  | 'args.url.not-string'
  | 'args.url.control-char'
  | 'args.url.backslash'
  | 'args.url.invalid'
  | 'args.url.scheme'
  | 'args.url.userinfo'
  | 'args.url.host-not-allowed'
  | 'args.url.private-host'
  | 'args.url.private-address'
  | 'args.url.metadata'
  | 'args.url.unresolvable';

export type CommandRuleId =
  | 'args.command.not-string'
  | 'args.command.empty'
  | 'args.command.newline'
  | 'args.command.control-char'
  | 'args.command.unbalanced-quote'
  | 'args.command.substitution'
  | 'args.command.expansion'
  | 'args.command.chaining'
  | 'args.command.pipe'
  | 'args.command.redirection'
  | 'args.command.process-substitution'
  | 'args.command.subshell'
  | 'args.command.comment'
  | 'args.command.glob'
  | 'args.command.env-assignment'
  | 'args.command.program-path'
  | 'args.command.program-not-allowed'
  | 'args.command.denied-arg'
  | 'args.command.environment'
  | 'args.command.secret-file'
  | 'args.command.executes-code'
  | 'args.command.path-outside-roots';

export type SqlRuleId =
  | 'args.sql.not-string'
  | 'args.sql.empty'
  | 'args.sql.control-char'
  | 'args.sql.unterminated'
  | 'args.sql.executable-comment'
  | 'args.sql.meta-command'
  | 'args.sql.stacked'
  | 'args.sql.not-read-only'
  | 'args.sql.write'
  | 'args.sql.select-into'
  | 'args.sql.denied-function';

export type GenericRuleId =
  | 'args.generic.type'
  | 'args.generic.enum'
  | 'args.generic.min'
  | 'args.generic.max'
  | 'args.generic.max-length'
  | 'args.generic.max-items'
  | 'args.generic.pattern'
  | 'args.generic.not-pattern';

export type ArgRuleId = PathRuleId | UrlRuleId | CommandRuleId | SqlRuleId | GenericRuleId;

export interface ArgViolation {
  ruleId: ArgRuleId;
  /** Names what was wrong. Values are quoted shortened, and URL credentials, paths and queries are never quoted. */
  reason: string;
}

export type ArgCheckResult = ArgViolation | null;

/** What a check may know about the server whose tool is called. */
export interface ArgContext {
  /** The upstream server's working directory: relative paths resolve against it. Absolute. */
  readonly cwd: string;
  /** The MCP roots the client granted the server, as `file://` URIs or absolute paths. */
  readonly roots?: readonly string[];
  /**
   * Credential locations (credential-path.ts): 'deny' (the default when absent), 'allow', or the absolute files and
   * directories this server may reach although they are credential locations.
   */
  readonly credentialPaths?: CredentialPaths;
}

export type CredentialPaths = 'deny' | 'allow' | readonly string[];

export interface ArgCheck {
  readonly kind: ArgKind;
  check(value: unknown, ctx: ArgContext): ArgCheckResult | Promise<ArgCheckResult>;
}

/** A checker that never needs I/O that could wait (path does synchronous lstat calls only). */
export interface SyncArgCheck extends ArgCheck {
  check(value: unknown, ctx: ArgContext): ArgCheckResult;
}
