/**
 * Client server entries (issue 8): one parser that reads every client's dialect into one shape (`ClientServer`),
 * the conversion of that shape into a gateway server config, the gateway's own entry in each dialect, and the
 * test that says whether an entry already routes through the gateway.
 *
 * Client-side references are translated where the gateway can resolve them (`${env:X}` is the same syntax; Claude
 * Code's `${X}` becomes `${env:X}`; VS Code's `${userHome}` and `${workspaceFolder}` become paths). What the gateway
 * cannot resolve (VS Code's `${input:id}` prompts, an `envFile`) is listed in `unresolved`, and such a server is
 * imported disabled with a description that says what to fill in, rather than started with a literal placeholder.
 *
 * Failure mode: an entry of an unexpected shape is kept with `invalid` set; it is reported, never imported.
 */
import type { JSONPath } from 'jsonc-parser';
import { SERVER_NAME_PATTERN } from '../config/schema.js';
import type { ClientId, EntryDialect } from './catalog.js';

export interface ClientServer {
  client: ClientId;
  file: string;
  scope: 'user' | 'project';
  /** The JSON path of the server map this entry is in; the entry is at [...location, name]. */
  location: JSONPath;
  name: string;
  kind: 'stdio' | 'remote';
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  url?: string;
  headers: Record<string, string>;
  transport?: 'streamable-http' | 'sse';
  disabled: boolean;
  /** Client-only references and settings the gateway cannot honour. */
  unresolved: string[];
  /** project scope: the project folder. */
  project?: string;
  /** Why the entry could not be read. */
  invalid?: string;
  raw: unknown;
}

export interface EntryContext {
  client: ClientId;
  dialect: EntryDialect;
  file: string;
  scope: 'user' | 'project';
  location: JSONPath;
  project?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(
    Object.entries(v).flatMap(([k, x]) =>
      typeof x === 'string' ? [[k, x]] : typeof x === 'number' || typeof x === 'boolean' ? [[k, String(x)]] : [],
    ),
  );
}

export function parseEntry(name: string, raw: unknown, ctx: EntryContext): ClientServer {
  const base: ClientServer = {
    client: ctx.client,
    file: ctx.file,
    scope: ctx.scope,
    location: ctx.location,
    name,
    kind: 'stdio',
    args: [],
    env: {},
    headers: {},
    disabled: false,
    unresolved: [],
    raw,
    ...(ctx.project === undefined ? {} : { project: ctx.project }),
  };
  if (!isRecord(raw)) return { ...base, invalid: 'the entry is not an object' };
  // Zed's older shape nests the command: {"command": {"path", "args", "env"}}.
  const cmd = isRecord(raw.command) ? raw.command : raw;
  const command = isRecord(raw.command) ? raw.command.path : raw.command;
  const url = raw.url ?? raw.serverUrl;
  base.disabled = raw.disabled === true || raw.enabled === false;
  if (typeof command === 'string') {
    base.command = command;
    base.args = Array.isArray(cmd.args) ? cmd.args.map(String) : [];
    base.env = stringMap(cmd.env);
    if (typeof raw.cwd === 'string') base.cwd = raw.cwd;
    if (typeof raw.envFile === 'string') base.unresolved.push(`envFile ${raw.envFile}`);
  } else if (typeof url === 'string') {
    base.kind = 'remote';
    base.url = url;
    base.headers = stringMap(raw.headers);
    const type = typeof raw.type === 'string' ? raw.type.toLowerCase() : '';
    if (type === 'sse') base.transport = 'sse';
    else if (type === 'http' || type === 'streamablehttp' || type === 'streamable-http')
      base.transport = 'streamable-http';
  } else return { ...base, invalid: 'neither a "command" nor a URL' };
  return base;
}

/** True when the entry runs this gateway: by its bin name, its script, or its npm package name. */
export function isGatewayEntry(s: Pick<ClientServer, 'command' | 'args'>): boolean {
  if (s.command === undefined) return false;
  return [s.command, ...s.args].some((part) => {
    const base = part.split(/[\\/]/).pop() ?? '';
    return /^secure-mcp-gateway(?:@[^\s]*)?(?:\.(?:js|cmd|exe|ps1))?$/i.test(base);
  });
}

/** How `install` starts the gateway: the command and args it writes, and the environment it passes. */
export interface GatewayLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The gateway's entry in a client's own dialect. */
export function gatewayEntry(dialect: EntryDialect, launch: GatewayLaunch): Record<string, unknown> {
  const body = { command: launch.command, args: launch.args, env: launch.env };
  switch (dialect) {
    case 'vscode':
    case 'claude-code':
      return { type: 'stdio', ...body };
    case 'zed':
      return { source: 'custom', ...body };
    default:
      return body;
  }
}

const REF = /\$\{([^}]*)\}/g;

/**
 * A client string with its references rewritten for the gateway; what cannot be rewritten is added to `unresolved`.
 * Returns the gateway string.
 */
export function translateRefs(value: string, s: ClientServer, home: string, project: string | undefined): string {
  return value.replace(REF, (match, inner: string) => {
    if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return match;
    if (/^file:/.test(inner)) return match;
    if (inner === 'userHome') return home;
    if (inner === 'workspaceFolder' && project !== undefined) return project;
    // Claude Code: ${VAR} and ${VAR:-default}.
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-.*)?$/.exec(inner);
    if (m && s.client === 'claude-code') {
      if (inner.includes(':-')) s.unresolved.push(`${match} (the gateway has no default values; set ${m[1]})`);
      return `\${env:${m[1]}}`;
    }
    s.unresolved.push(match);
    return match;
  });
}

/** A gateway server name for a client's server name: the allowed alphabet, at most 32 characters. */
export function gatewayServerName(name: string): string {
  let out = name
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/_{2,}/g, '_')
    .replace(/^[-_]+/, '')
    .slice(0, 32)
    .replace(/_+$/, '');
  if (out === '') out = 'server';
  return SERVER_NAME_PATTERN.test(out) ? out : out.replace(/_/g, '-');
}

/** The server as a gateway config entry (references translated; secrets are moved by the caller). */
export function toGatewayServer(s: ClientServer, home: string, clientName: string): Record<string, unknown> {
  const t = (v: string) => translateRefs(v, s, home, s.project);
  const out: Record<string, unknown> = {};
  if (s.kind === 'stdio') {
    out.command = t(s.command ?? '');
    if (s.args.length) out.args = s.args.map(t);
    if (Object.keys(s.env).length) out.env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, t(v)]));
    if (s.cwd !== undefined) out.cwd = t(s.cwd);
    // A project's server starts in the project folder, as its client starts it; that folder is then also its root.
    else if (s.project !== undefined) out.cwd = s.project;
  } else {
    out.url = t(s.url ?? '');
    if (Object.keys(s.headers).length)
      out.headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, t(v)]));
    if (s.transport) out.transport = s.transport;
  }
  const notes = [`imported from ${clientName} (${s.file})`];
  if (s.unresolved.length > 0)
    notes.push(
      `disabled: the client fills in ${[...new Set(s.unresolved)].join(', ')}; replace with \${env:…} or \${file:…} and enable`,
    );
  out.description = notes.join('; ');
  if (s.disabled || s.unresolved.length > 0) out.enabled = false;
  return out;
}
