/**
 * A temporary home with a realistic MCP config file for every client the catalogue knows (Linux paths): plain JSON
 * for Claude Desktop, Cursor, Windsurf, Cline and Claude Code, JSONC with comments and trailing commas for VS Code
 * and Zed, and inline API keys in Claude Desktop and Cursor. The enabled stdio servers are the real npm servers, so
 * the gateway can start them after `init`; launchers that would need the network (npx, uvx) are disabled in their
 * client, or fail fast to spawn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { npmServer, tempDir } from './gateway.js';

const NODE = process.execPath;
/** Look like real keys to the secrets detector; they are not. */
export const GITHUB_TOKEN = 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u';
export const FETCH_KEY = 'fk_live_7Hq2Zp9Xw4Lm8Rt3Vb6Nc1Ks5';
export const LINEAR_KEY = 'lin_api_9fK2mQ7xR4tB8vN1cL6zW3pJ5hD0sG2aY7eU4iO1';

export interface ClientHome {
  home: string;
  project: string;
  /** Every client file, by client id (and "<id>:project"). */
  files: Record<string, string>;
  env: Record<string, string>;
}

export function makeClientHome(): ClientHome {
  const home = tempDir('smg-clients-');
  const project = path.join(home, 'src', 'app');
  const files: Record<string, string> = {};
  const put = (key: string, rel: string, text: string, base = home) => {
    const file = path.join(base, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    files[key] = file;
  };
  const memory = { command: NODE, args: [npmServer('memory')] };
  put(
    'claude-desktop',
    '.config/Claude/claude_desktop_config.json',
    JSON.stringify(
      {
        globalShortcut: 'Ctrl+Space',
        mcpServers: {
          memory,
          github: {
            command: NODE,
            args: [npmServer('everything')],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: GITHUB_TOKEN, LOG_LEVEL: 'info' },
          },
        },
      },
      null,
      2,
    ) + '\n',
  );
  put(
    'cursor',
    '.cursor/mcp.json',
    JSON.stringify(
      {
        mcpServers: {
          memory,
          linear: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: `Bearer ${LINEAR_KEY}` } },
        },
      },
      null,
      2,
    ),
  );
  put(
    'vscode',
    '.config/Code/User/mcp.json',
    `// VS Code MCP servers (user)
{
  "inputs": [
    { "type": "promptString", "id": "perplexity-key", "description": "Perplexity API Key", "password": true },
  ],
  "servers": {
    // the reference server, for trying things out
    "everything": {
      "type": "stdio",
      "command": ${JSON.stringify(NODE)},
      "args": [${JSON.stringify(npmServer('everything'))}],
    },
    /* asks for its key on first use */
    "perplexity": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "server-perplexity-ask"],
      "env": { "PERPLEXITY_API_KEY": "\${input:perplexity-key}" },
    },
  },
}
`,
  );
  put(
    'windsurf',
    '.codeium/windsurf/mcp_config.json',
    JSON.stringify(
      { mcpServers: { fetch: { command: 'uvx', args: ['mcp-server-fetch', '--api-key', FETCH_KEY] } } },
      null,
      4,
    ) + '\n',
  );
  put(
    'cline',
    '.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
    JSON.stringify(
      {
        mcpServers: {
          filesystem: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-filesystem', home],
            disabled: true,
            autoApprove: ['read_file'],
          },
        },
      },
      null,
      2,
    ),
  );
  put(
    'zed',
    '.config/zed/settings.json',
    `// Zed settings
//
// For information on how to configure Zed, see the Zed documentation.
{
  "theme": "One Dark",
  "buffer_font_size": 15,
  "context_servers": {
    // same memory server as Claude Desktop
    "memory-zed": {
      "source": "custom",
      "command": ${JSON.stringify(NODE)},
      "args": [${JSON.stringify(npmServer('memory'))}],
      "env": {},
    },
  },
  "vim_mode": false,
}
`,
  );
  put(
    'claude-code',
    '.claude.json',
    JSON.stringify(
      {
        numStartups: 12,
        mcpServers: {
          sqlite: { type: 'stdio', command: 'uvx', args: ['mcp-server-sqlite', '--db-path', '/tmp/x.db'], env: {} },
        },
        projects: { [project]: { allowedTools: [], mcpServers: {} } },
      },
      null,
      2,
    ),
  );
  put(
    'claude-code:project',
    '.mcp.json',
    JSON.stringify(
      {
        mcpServers: {
          'project-memory': { type: 'stdio', ...memory, env: { MEMORY_FILE_PATH: path.join(project, 'memory.jsonl') } },
        },
      },
      null,
      2,
    ) + '\n',
    project,
  );
  // SMG_VAULT=file: the secrets init moves go to the encrypted file in the temporary home, never into the keychain of
  // the machine running the tests (on Linux the keychain library finds the user's session bus without any variable).
  const env = {
    HOME: home,
    SMG_HOME: path.join(home, '.secure-mcp-gateway'),
    PATH: process.env.PATH ?? '',
    SMG_VAULT: 'file',
  };
  return { home, project, files, env };
}

/** Every file's bytes, to compare after a round trip. */
export function snapshot(files: Record<string, string>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(files).map(([k, f]) => [k, fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null]),
  );
}

/** The gateway entry `install` wrote into Claude Desktop's config. */
export function gatewayEntry(h: ClientHome): { command: string; args: string[]; env: Record<string, string> } {
  const cfg = JSON.parse(fs.readFileSync(h.files['claude-desktop']!, 'utf8')) as {
    mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
  };
  return cfg.mcpServers['secure-mcp-gateway']!;
}

/**
 * Runs `use` with an SDK client connected to the command exactly as Claude Desktop would launch it: its own
 * environment (HOME, PATH) plus the entry's env. The client is closed afterwards.
 */
export async function asClaudeDesktop<T>(h: ClientHome, use: (client: Client) => Promise<T>): Promise<T> {
  const entry = gatewayEntry(h);
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: { HOME: h.home, PATH: h.env.PATH!, ...entry.env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
  await client.connect(transport);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
