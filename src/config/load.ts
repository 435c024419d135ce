/**
 * Reads, validates and resolves the config file, once. A failure is a GatewayError('CONFIG_INVALID') whose message
 * names the file, the JSON path and what was expected (its `data.problems` lists them), or a
 * GatewayError('CONFIG_MISSING') that says how to create one. Nothing else in the gateway reads config files.
 *
 * One exception costs less than the whole config (issue 17): a `${env:}`/`${file:}` reference that cannot be resolved
 * in a server's own settings (command, args, env, cwd, url, headers, roots, credentialPaths, integrity.publicKey)
 * makes that server unavailable (`LoadedConfig.unavailable`, with the path and the reason) and the others serve. A
 * missing publicKey is fail-closed for its server: it never starts unverified. So does an `oauth.privateKey` that does
 * not parse or does not fit its block (issue 18). Everything else still refuses the
 * whole config: invalid JSON, the schema, a reference outside `servers` (providers, judges, state, audit, identities,
 * policies), a refused regex, a missing model or document.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import {
  ConfigSchema,
  DEFAULT_POLICY,
  type Config,
  type OAuthConfig,
  type Policy,
  type ServerConfig,
} from './schema.js';
import type { ProviderConfig } from '../guardrails/providers/schema.js';
import type { JudgeEndpoint } from '../guardrails/judge/config-schema.js';
import { expandHome } from './paths.js';
import { SandboxProfileSchema, type SandboxProfile } from '../sandbox/config-schema.js';
import type { ResolvedSandbox } from '../sandbox/types.js';
import { checkRegexSafety } from '../policy/args/safe-regex.js';
import type { ArgumentRule } from '../policy/config-schema.js';
import { RefError, hasRef, resolveRefs, type RefContext } from './refs.js';
import { resolveLlmConfig, type ResolvedLlmConfig } from '../llm/resolve.js';
import type { StateConfig } from '../state/config-schema.js';
import { ClientKeyError, parseClientKey } from '../oauth/client-key.js';

/** A server with every reference resolved, plus what the gateway needs to know about it. */
export interface ResolvedServer {
  name: string;
  kind: 'stdio' | 'remote';
  config: ServerConfig;
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  url?: string;
  headers: Record<string, string>;
  transport: 'streamable-http' | 'sse' | 'auto';
  /**
   * remote: OAuth to this server (docs/auth.md) with its references resolved. undefined: OAuth if the server asks
   * for it (401 with a Bearer challenge); false: never (off, or a static Authorization header is configured).
   */
  oauth?: OAuthConfig | false;
  policy: Policy;
  /** Absolute directories the server works in: its "roots", else its cwd, else none. */
  roots: string[];
  /** Argument rules with their "within" directories made absolute. */
  arguments: Record<string, ArgumentRule>;
  /** Credential locations this server may reach: 'deny' (default), 'allow', or absolute files and directories. */
  credentialPaths: 'deny' | 'allow' | string[];
  /**
   * stdio: the sandbox profile it runs under (issue 19), paths absolute; undefined when it runs unconfined (its own
   * `"sandbox": false`, or no profile of its own and no sandbox.default).
   */
  sandbox?: ResolvedSandbox;
  /** Tool integrity: the pinning mode for this server, and its signed manifest (absolute path) and key, if any. */
  integrity: { mode: 'pin-on-first-use' | 'require-approval' | 'off'; publicKey?: string; manifest?: string };
}

/** One thing wrong in the config: where (a JSON path written the way a person finds it) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** An enabled server that does not start because a reference in its own settings cannot be resolved. */
export interface UnavailableServer {
  name: string;
  /** Every unresolvable reference of the server, in file order; never a resolved value. */
  problems: ConfigProblem[];
}

export interface LoadedConfig {
  file: string;
  config: Config;
  /** Enabled servers whose references all resolved: a disabled server does not exist. */
  servers: ResolvedServer[];
  /** Enabled servers left out because a reference in their settings cannot be resolved; the others serve. */
  unavailable: UnavailableServer[];
  /** Resolved values that came from references, so that logs can mask them. */
  secrets: string[];
  /** Every policy by name, the built-in "default" included. */
  policies: Record<string, Policy>;
  /** The pin lockfile when the config names one (absolute); else the caller uses <home>/tools.lock.json. */
  lockfile?: string;
  /** Guardrail providers with their references resolved, and a local model's paths made absolute. */
  providers: Record<string, ProviderConfig>;
  /** Judge endpoints with their references resolved. */
  judges: Record<string, JudgeEndpoint>;
  /** Policy documents (absolute paths). */
  policyDocuments: string[];
  /** The state store config with its `url` reference resolved (state/config-schema.ts). */
  state: StateConfig;
  /**
   * The AI proxy's section with its references resolved (llm/resolve.ts). A provider whose reference cannot be
   * resolved is left out, with its problems in `llmProblems`: it costs its deployments, not the gateway.
   */
  llm: ResolvedLlmConfig;
  llmProblems: ConfigProblem[];
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return parseConfig(readConfigText(file), file, env);
}

/** The config file's text; a missing file is CONFIG_MISSING (saying how to create one), an unreadable one CONFIG_INVALID. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new GatewayError(
        'CONFIG_MISSING',
        `no config file at ${file}.\n` +
          `Create one with \`secure-mcp-gateway init\`, or copy config/example.config.json from the package, ` +
          `or point --config / SMG_CONFIG at an existing file.`,
      );
    throw new GatewayError('CONFIG_INVALID', `${file}: cannot read the file: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new GatewayError('CONFIG_INVALID', `${file}: not valid JSON: ${jsonErrorWhere(text, error as Error)}`, {
      cause: error,
    });
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw invalidConfig(file, issueProblems(parsed.error.issues));
  return resolveConfig(parsed.data, file, env);
}

/** The one CONFIG_INVALID of a config file: every problem on its own line, and as data for `doctor`. */
function invalidConfig(file: string, problems: ConfigProblem[]): GatewayError {
  return new GatewayError('CONFIG_INVALID', `${file}: invalid config:\n${formatProblems(problems)}`, {
    data: { problems },
  });
}

/** The problems a CONFIG_INVALID error carries, or undefined for another error (a missing file, bad JSON). */
export function problemsOf(error: unknown): ConfigProblem[] | undefined {
  if (!(error instanceof GatewayError) || error.code !== 'CONFIG_INVALID') return undefined;
  const data = error.data as { problems?: ConfigProblem[] } | undefined;
  return data?.problems;
}

function resolveConfig(config: Config, file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const ctx: RefContext = { env, baseDir: path.dirname(file) };
  const secrets: string[] = [];
  const problems: ConfigProblem[] = [];
  const problem = (where: (string | number)[], message: string): void => {
    problems.push({ path: formatPath(where), message });
  };
  /** Resolves the references of one value; one that cannot be resolved is recorded in `into`, and '' stands in. */
  const resolveInto =
    (into: ConfigProblem[]) =>
    (value: string, where: (string | number)[]): string => {
      try {
        const out = resolveRefs(value, ctx);
        if (hasRef(value)) secrets.push(out);
        return out;
      } catch (error) {
        if (!(error instanceof RefError)) throw error;
        into.push({ path: formatPath(where), message: error.message });
        return '';
      }
    };
  const resolve = resolveInto(problems);
  // Paths in the config (cwd, roots, model files) are found from the config file, not from wherever the client
  // started the gateway.
  const local = (p: string) => path.resolve(ctx.baseDir, expandHome(p, env));
  const policies: Record<string, Policy> = { default: DEFAULT_POLICY, ...config.policies };
  for (const [name, policy] of Object.entries(config.policies)) {
    const model = policy.detectors.injection.model;
    if (model.path === undefined) continue;
    const abs = local(model.path);
    if (!fs.existsSync(abs))
      problem(['policies', name, 'detectors', 'injection', 'model', 'path'], `no such file: ${abs}`);
    policies[name] = {
      ...policy,
      detectors: { ...policy.detectors, injection: { ...policy.detectors.injection, model: { ...model, path: abs } } },
    };
  }
  const servers: ResolvedServer[] = [];
  const unavailable: UnavailableServer[] = [];
  for (const [name, server] of Object.entries(config.servers)) {
    if (!server.enabled) continue;
    const at = (...rest: (string | number)[]) => ['servers', name, ...rest];
    // This server's own references: one that cannot be resolved costs this server only (issue 17).
    const own: ConfigProblem[] = [];
    const resolve = resolveInto(own);
    const mapValues = (obj: Record<string, string> | undefined, key: string) =>
      Object.fromEntries(Object.entries(obj ?? {}).map(([k, v]) => [k, resolve(v, at(key, k))]));
    const resolved: ResolvedServer = {
      name,
      kind: server.command !== undefined ? 'stdio' : 'remote',
      config: server,
      args: (server.args ?? []).map((a, i) => resolve(a, at('args', i))),
      env: mapValues(server.env, 'env'),
      headers: mapValues(server.headers, 'headers'),
      transport: server.transport ?? 'auto',
      policy: policies[server.policy ?? config.defaultPolicy] ?? DEFAULT_POLICY,
      roots: [],
      arguments: {},
      credentialPaths: 'deny',
      integrity: { mode: server.integrity?.mode ?? config.integrity.mode },
    };
    if (server.integrity?.publicKey !== undefined)
      resolved.integrity.publicKey = resolve(server.integrity.publicKey, at('integrity', 'publicKey'));
    if (server.integrity?.manifest !== undefined) resolved.integrity.manifest = local(server.integrity.manifest);
    if (server.command !== undefined) resolved.command = resolve(server.command, at('command'));
    if (server.cwd !== undefined) resolved.cwd = local(resolve(server.cwd, at('cwd')));
    resolved.roots = server.roots
      ? server.roots.map((r, i) => local(resolve(r, at('roots', i))))
      : resolved.cwd !== undefined
        ? [resolved.cwd]
        : [];
    // A stdio server with roots and no cwd starts in its first root (issue 15, class 9): relative path arguments
    // then mean the same file to the server and to the path check, which resolves them against the same folder,
    // instead of against whatever folder the client started the gateway in (often "/"). Only when that root is an
    // existing directory: a missing one would stop the server from starting at all.
    if (resolved.kind === 'stdio' && resolved.cwd === undefined && resolved.roots[0] !== undefined) {
      const first = resolved.roots[0];
      if (isDirectory(first)) resolved.cwd = first;
    }
    if (resolved.kind === 'stdio') {
      const profile = sandboxProfileOf(server.sandbox, config.sandbox.default);
      if (profile)
        resolved.sandbox = {
          required: profile.required,
          network: profile.network,
          roots: profile.roots,
          readOnly: profile.readOnly.map(local),
          readWrite: profile.readWrite.map(local),
          home: profile.home,
          limits: profile.limits,
          ...(profile.stopAfterDenials !== undefined ? { stopAfterDenials: profile.stopAfterDenials } : {}),
          stopWindowSeconds: profile.stopWindowSeconds,
          resolve: config.sandbox.resolve,
          ...(config.sandbox.bwrap !== undefined ? { bwrap: config.sandbox.bwrap } : {}),
        };
    }
    const credentialPaths = server.credentialPaths ?? 'deny';
    resolved.credentialPaths = Array.isArray(credentialPaths)
      ? credentialPaths.map((p, i) => local(resolve(p, at('credentialPaths', i))))
      : credentialPaths;
    for (const [key, rule] of Object.entries(server.arguments ?? {}))
      for (const field of ['pattern', 'notPattern'] as const) {
        const source = rule[field];
        if (source === undefined) continue;
        const safety = checkRegexSafety(source);
        if (!safety.safe) problem(at('arguments', key, field), `the regex /${source}/ is refused: ${safety.reason}`);
      }
    resolved.arguments = Object.fromEntries(
      Object.entries(server.arguments ?? {}).map(([key, rule]) => [
        key,
        rule.kind === 'path' && rule.within ? { ...rule, within: rule.within.map(local) } : rule,
      ]),
    );
    if (server.url !== undefined) {
      const staticAuth = Object.keys(server.headers ?? {}).some((h) => h.toLowerCase() === 'authorization');
      const oauth = server.oauth;
      if (oauth && staticAuth)
        // Two ways to authenticate is a mistake in this server's entry: it costs this server only.
        own.push({
          path: formatPath(at('oauth')),
          message: 'a server with a static Authorization header cannot also have an "oauth" block: remove one of them',
        });
      else if (oauth && oauth.tokenExchange !== undefined && oauth.tokenExchange !== false && !config.serve.sso)
        // The subject token is the IdP token that serve verified: without serve.sso there is none (issue 18).
        own.push({
          path: formatPath(at('oauth', 'tokenExchange')),
          message: 'token exchange needs single sign-on in serve: configure serve.sso, or remove "tokenExchange"',
        });
      else if (oauth && oauth.privateKey !== undefined && clientKeyMistake(oauth))
        own.push({ path: formatPath(at('oauth', 'privateKey')), message: clientKeyMistake(oauth)! });
      else if (oauth) {
        resolved.oauth = {
          ...oauth,
          ...(oauth.clientId !== undefined ? { clientId: resolve(oauth.clientId, at('oauth', 'clientId')) } : {}),
          ...(oauth.clientSecret !== undefined
            ? { clientSecret: resolve(oauth.clientSecret, at('oauth', 'clientSecret')) }
            : {}),
        };
        if (oauth.privateKey !== undefined) {
          const pem = resolve(oauth.privateKey, at('oauth', 'privateKey'));
          // Parsed now, not at the first token request: a key that cannot sign makes this server unavailable with
          // the reason, at start, like a reference that does not resolve.
          if (own.length === 0)
            try {
              const key = parseClientKey(pem, oauth.privateKeyAlg);
              resolved.oauth = { ...resolved.oauth, privateKey: pem, privateKeyAlg: key.alg };
            } catch (error) {
              if (!(error instanceof ClientKeyError)) throw error;
              own.push({ path: formatPath(at('oauth', 'privateKey')), message: error.message });
            }
        }
      } else if (oauth === false || staticAuth) resolved.oauth = false;
      resolved.url = resolve(server.url, at('url'));
      // A URL of the wrong shape is a mistake in the file, not in the environment: the whole config is refused.
      if (own.length === 0 && !isHttpUrl(resolved.url))
        problem(at('url'), `expected an http:// or https:// URL, got "${server.url}"`);
    }
    if (own.length > 0) unavailable.push({ name, problems: own });
    else servers.push(resolved);
  }
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, provider] of Object.entries(config.providers)) {
    const resolved = resolveDeep(provider, ['providers', name], resolve) as ProviderConfig;
    // A local model's files are found from the config file, not from wherever the client started the gateway.
    if (resolved.type === 'onnx') {
      resolved.model = local(resolved.model);
      const tokenizer = resolved.tokenizer;
      if (tokenizer?.type === 'wordpiece' && tokenizer.vocab !== undefined) tokenizer.vocab = local(tokenizer.vocab);
      if (tokenizer?.type === 'huggingface') {
        if (tokenizer.path !== undefined) tokenizer.path = local(tokenizer.path);
        if (tokenizer.config !== undefined) tokenizer.config = local(tokenizer.config);
      }
    }
    providers[name] = resolved;
  }
  const judges = resolveDeep(config.judges, ['judges'], resolve) as Record<string, JudgeEndpoint>;
  for (const [name, j] of Object.entries(judges))
    if (!problems.length && !isHttpUrl(j.baseUrl))
      problem(['judges', name, 'baseUrl'], 'expected an http:// or https:// URL');
  // Documents are found from the config file; a missing one is a config error now, not a blocked call later.
  const policyDocuments = config.policyDocuments.map((doc, i) => {
    const abs = local(doc);
    if (!/\.(txt|md|markdown|pdf)$/i.test(abs))
      problem(['policyDocuments', i], `expected a .txt, .md or .pdf file, got "${doc}"`);
    else if (!fs.existsSync(abs)) problem(['policyDocuments', i], `no such file: ${abs}`);
    return abs;
  });
  const state: StateConfig =
    config.state.url === undefined
      ? config.state
      : { ...config.state, url: resolve(config.state.url, ['state', 'url']) };
  if (state.url !== undefined && !problems.length && !isRedisUrl(state.url))
    problem(['state', 'url'], 'expected a redis:// or rediss:// URL with a host');
  if (problems.length > 0) throw invalidConfig(file, problems);
  const llmProblems: ConfigProblem[] = [];
  // A reference that cannot be resolved leaves '' behind, which resolveLlmConfig reports again as an empty key: the
  // first problem at a path is the one that says why.
  const llm = resolveLlmConfig(config.llm, resolveInto(llmProblems), (where, message) => {
    const at = formatPath(where);
    if (!llmProblems.some((p) => p.path === at)) llmProblems.push({ path: at, message });
  });
  // Any unresolved reference leaves its provider out, also where '' would pass (an openai-compatible key, a header
  // value): it must not be called without what its config asks for.
  for (const name of Object.keys(llm.providers)) {
    const at = formatPath(['llm', 'providers', name]);
    if (llmProblems.some((p) => p.path.startsWith(`${at}.`) || p.path.startsWith(`${at}[`))) delete llm.providers[name];
  }
  return {
    llm,
    llmProblems,
    judges,
    policyDocuments,
    file,
    config,
    servers,
    unavailable,
    secrets,
    policies,
    providers,
    state,
    ...(config.integrity.lockfile !== undefined ? { lockfile: local(config.integrity.lockfile) } : {}),
  };
}

/** Resolves references in every string of a JSON value. */
function resolveDeep(
  value: unknown,
  at: (string | number)[],
  resolve: (v: string, where: (string | number)[]) => string,
): unknown {
  if (typeof value === 'string') return resolve(value, at);
  if (Array.isArray(value)) return value.map((v, i) => resolveDeep(v, [...at, i], resolve));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, [...at, k], resolve)]));
  return value;
}

/** The URL itself is not echoed: it may carry a password. */
function isRedisUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `servers.fs.args[0]` style, the way a person finds it in the file. */
export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(root)';
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_$][\w$]*$/.test(s) ? (out ? `.${s}` : s) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** zod's issues in the words of this project ("unknown field", not "Unrecognized key"). */
export function issueProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((issue) => {
    let detail = issue.message;
    if (issue.code === 'unrecognized_keys')
      detail = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if (issue.code === 'invalid_key') detail = `invalid name: ${issue.issues[0]?.message ?? issue.message}`;
    else if (issue.code === 'invalid_value')
      detail = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    return { path: formatPath(issue.path), message: detail };
  });
}

/**
 * The one formatter of config problems: `at <path>: <what>`. `config validate`, `doctor`, the start-up error, the
 * gateway log and the client's status tool all print a problem through it, so they say the same thing.
 */
export function formatProblem(p: ConfigProblem): string {
  return `at ${p.path}: ${p.message}`;
}

/** Problems one per line, indented under the line that names the file. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${formatProblem(p)}`).join('\n');
}

/** The schema's issues as the lines of a CONFIG_INVALID message. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return formatProblems(issueProblems(issues));
}

/** One line that says why a server is unavailable: `server "fs" is unavailable: at servers.fs.env.T: …`. */
export function describeUnavailable(u: UnavailableServer): string {
  return `server "${u.name}" is unavailable: ${u.problems.map(formatProblem).join('; ')}`;
}

/** What to do about an unresolvable reference, in one line. */
export function referenceFix(p: ConfigProblem): string {
  const secret = /^secret (\S+) is not in the vault/.exec(p.message)?.[1];
  if (secret !== undefined) return `add it with \`secure-mcp-gateway secrets set ${secret}\``;
  if (p.message.includes('from the credential vault'))
    return 'repair the credential vault (see `secure-mcp-gateway doctor` and docs/troubleshooting.md)';
  const env = /environment variable (\w+) is not set/.exec(p.message)?.[1];
  return env
    ? `set ${env} in the environment the client starts the gateway with (its "env" entry), or use \${file:…}`
    : 'create the file (mode 0600) or correct the path';
}

/** Turns V8's "at position N" into a line and column. */
function jsonErrorWhere(text: string, error: Error): string {
  const m = /position (\d+)/.exec(error.message);
  if (!m) return error.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${error.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

/**
 * What is wrong with an `oauth` block that has a privateKey, in this server's entry (it costs this server only): the
 * assertion's iss and sub are the client id (RFC 7523 §3), a client authenticates one way only (RFC 6749 §2.3), and
 * the token exchange of serve authenticates with a secret.
 */
function clientKeyMistake(oauth: OAuthConfig): string | undefined {
  if (oauth.clientId === undefined) return '"privateKey" needs "clientId" (the issuer and subject of the assertion)';
  if (oauth.clientSecret !== undefined)
    return 'a client authenticates with "clientSecret" or with "privateKey", not both: remove one of them';
  if (oauth.tokenExchange !== undefined && oauth.tokenExchange !== false)
    return '"tokenExchange" authenticates with "clientSecret" only: remove "privateKey" or "tokenExchange"';
  return undefined;
}

/** A server's own "sandbox" (true: the default profile; false: none), else the top-level sandbox.default. */
function sandboxProfileOf(
  own: boolean | SandboxProfile | undefined,
  fallback: boolean | SandboxProfile,
): SandboxProfile | undefined {
  const chosen = own ?? fallback;
  if (chosen === false) return undefined;
  return chosen === true ? SandboxProfileSchema.parse({}) : chosen;
}
