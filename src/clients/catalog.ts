/**
 * The client catalogue (issue 8): every MCP client the gateway can onboard, where its config files live on macOS,
 * Windows and Linux, and how each file stores its servers (the key, the entry shape, JSONC or not). It only
 * computes paths; reading and editing is client-file.ts. The platform and the environment are parameters, so that
 * tests cover all three systems and point HOME, APPDATA and XDG_CONFIG_HOME at a temporary home.
 *
 * Failure mode: none; a path that does not exist is simply not detected.
 */
import path from 'node:path';
import { closestName } from '../util/did-you-mean.js';

export type Platform = 'darwin' | 'win32' | 'linux';

export const CLIENT_IDS = ['claude-desktop', 'cursor', 'vscode', 'windsurf', 'cline', 'zed', 'claude-code'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/**
 * How a client writes one server entry. `mcpServers` is the common shape ({command, args, env} or {url, headers});
 * the others differ in the remote URL field, a "type" field, or the key of the server map.
 */
export type EntryDialect =
  | 'mcp-servers' // Claude Desktop, Cursor: command/args/env, url/headers
  | 'vscode' // "servers": type stdio|http|sse, command/args/env/envFile, url/headers, ${input:id}
  | 'windsurf' // mcpServers, remote as "serverUrl"
  | 'cline' // mcpServers, plus disabled and autoApprove; remote url + type
  | 'zed' // "context_servers": {source, command, args, env} (older: command {path, args, env}), or url/headers
  | 'claude-code'; // mcpServers with type stdio|http|sse; also projects.<dir>.mcpServers in ~/.claude.json

export interface ClientFile {
  client: ClientId;
  /** user: the person's own config; project: a file in the project folder (shared through the repository). */
  scope: 'user' | 'project';
  path: string;
  /** project scope: the project folder (where the client starts the file's servers). */
  projectDir?: string;
  /** The file may hold comments and trailing commas (VS Code and Zed settings are JSONC). */
  jsonc: boolean;
}

export interface ClientInfo {
  id: ClientId;
  name: string;
  dialect: EntryDialect;
  /** The key of the server map at the top of the file. */
  serversKey: 'mcpServers' | 'servers' | 'context_servers';
  /** Folders whose existence means the client is installed, even before it has an MCP config file. */
  markers: string[];
  files: ClientFile[];
}

export interface CatalogOptions {
  platform?: Platform;
  env?: NodeJS.ProcessEnv;
  /** The project folder for project-scope files (default: the current directory). */
  project?: string;
}

/** The folders every path is built from, from the environment only, so that a test's HOME moves all of them. */
export function baseDirs(platform: Platform, env: NodeJS.ProcessEnv) {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const home = (platform === 'win32' ? (env.USERPROFILE ?? env.HOME) : env.HOME) ?? '';
  const appData =
    platform === 'win32'
      ? (env.APPDATA ?? p.join(home, 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? p.join(home, 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? p.join(home, '.config'));
  return { p, home, appData };
}

export function clientCatalog(opts: CatalogOptions = {}): ClientInfo[] {
  const platform = opts.platform ?? currentPlatform();
  const env = opts.env ?? process.env;
  const { p, home, appData } = baseDirs(platform, env);
  const project = opts.project ?? process.cwd();
  // VS Code's user folder; Cline keeps its settings in VS Code's globalStorage.
  const codeUser = p.join(appData, 'Code', 'User');
  const zedDir =
    platform === 'win32' ? p.join(appData, 'Zed') : p.join(env.XDG_CONFIG_HOME ?? p.join(home, '.config'), 'zed');
  const file = (client: ClientId, scope: 'user' | 'project', at: string, jsonc = false): ClientFile => ({
    client,
    scope,
    path: at,
    jsonc,
  });
  return [
    {
      id: 'claude-desktop',
      name: 'Claude Desktop',
      dialect: 'mcp-servers',
      serversKey: 'mcpServers',
      markers: [p.join(appData, 'Claude')],
      files: [file('claude-desktop', 'user', p.join(appData, 'Claude', 'claude_desktop_config.json'))],
    },
    {
      id: 'cursor',
      name: 'Cursor',
      dialect: 'mcp-servers',
      serversKey: 'mcpServers',
      markers: [p.join(home, '.cursor')],
      files: [
        file('cursor', 'user', p.join(home, '.cursor', 'mcp.json')),
        file('cursor', 'project', p.join(project, '.cursor', 'mcp.json')),
      ],
    },
    {
      id: 'vscode',
      name: 'VS Code',
      dialect: 'vscode',
      serversKey: 'servers',
      markers: [codeUser],
      files: [
        file('vscode', 'user', p.join(codeUser, 'mcp.json'), true),
        file('vscode', 'project', p.join(project, '.vscode', 'mcp.json'), true),
      ],
    },
    {
      id: 'windsurf',
      name: 'Windsurf',
      dialect: 'windsurf',
      serversKey: 'mcpServers',
      markers: [p.join(home, '.codeium', 'windsurf')],
      files: [file('windsurf', 'user', p.join(home, '.codeium', 'windsurf', 'mcp_config.json'))],
    },
    {
      id: 'cline',
      name: 'Cline',
      dialect: 'cline',
      serversKey: 'mcpServers',
      markers: [p.join(codeUser, 'globalStorage', 'saoudrizwan.claude-dev')],
      files: [
        file(
          'cline',
          'user',
          p.join(codeUser, 'globalStorage', 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json'),
        ),
      ],
    },
    {
      id: 'zed',
      name: 'Zed',
      dialect: 'zed',
      serversKey: 'context_servers',
      markers: [zedDir],
      files: [
        file('zed', 'user', p.join(zedDir, 'settings.json'), true),
        file('zed', 'project', p.join(project, '.zed', 'settings.json'), true),
      ],
    },
    {
      id: 'claude-code',
      name: 'Claude Code',
      dialect: 'claude-code',
      serversKey: 'mcpServers',
      markers: [p.join(home, '.claude')],
      files: [
        file('claude-code', 'user', p.join(home, '.claude.json')),
        file('claude-code', 'project', p.join(project, '.mcp.json')),
      ],
    },
  ];
}

export function clientInfo(id: string, opts: CatalogOptions = {}): ClientInfo {
  const found = clientCatalog(opts).find((c) => c.id === id);
  if (!found) throw new Error(unknownClientMessage(id));
  return found;
}

export function isClientId(id: string): id is ClientId {
  return (CLIENT_IDS as readonly string[]).includes(id);
}

/**
 * The known id closest to a mistyped one (issue 17, 9d: `--client cursr`), or undefined when none is close: at most
 * two edits (a third for ids longer than eight characters), case ignored, and only one nearest id (a tie suggests
 * nothing rather than a guess). A prefix of exactly one id (`claude-d`) suggests it too.
 */
export function suggestClientId(id: string): ClientId | undefined {
  return closestName(id, CLIENT_IDS);
}

/** `unknown client "cursr"; did you mean "cursor"? (known: …)`, the suggestion only when there is one. */
export function unknownClientMessage(id: string): string {
  const near = suggestClientId(id);
  return `unknown client "${id}"${near === undefined ? '' : `; did you mean "${near}"?`} (known: ${CLIENT_IDS.join(', ')})`;
}

export function currentPlatform(): Platform {
  return process.platform === 'win32' ? 'win32' : process.platform === 'darwin' ? 'darwin' : 'linux';
}
