/**
 * The client under test in the conformance suite's client mode (started by test/conformance/run.ts through the
 * suite, which appends its test server's URL and sets MCP_CONFORMANCE_SCENARIO). What is tested is the gateway's
 * upstream HTTP client: this writes a config with one `url` server (the suite's server), starts the BUILT gateway
 * over stdio, and, as an MCP client of the gateway, lists the tools and calls each one (arguments made from its
 * input schema), so that every request the suite's server expects reaches it through the gateway. Elicitation
 * and sampling requests relayed by the gateway are answered (accept with no content, so that the schema's defaults
 * apply; a fixed sampling reply). Exit 0 when every step succeeded.
 *
 * The `auth/*` scenarios (issue 18) test the gateway's OAuth client, as a user meets it: the server's `oauth` block
 * is written from the scenario (MCP_CONFORMANCE_SCENARIO) and what the suite hands over (MCP_CONFORMANCE_CONTEXT:
 * a pre-registered client id and secret, or a private key for private_key_jwt, written to a 0600 file that the
 * config references), then `secure-mcp-gateway auth login suite` runs with $BROWSER set to the
 * headless browser (the suite's authorization server approves at once: the browser follows its redirect to the
 * loopback callback), the tokens go to an encrypted-file vault, and the gateway starts and calls the tools. A tool
 * error that asks to sign in again (a step-up to more scopes) is answered as a user would: one more `auth login`,
 * then the call once more. The suite's access tokens must appear neither in what `auth login` prints nor in clear in
 * any file under the temporary home.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { browserCommand } from '../helpers/oauth-browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');

/** A value for each required property of a tool's input schema. */
function argumentsFor(tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; default?: unknown }>;
  const args: Record<string, unknown> = {};
  for (const name of tool.inputSchema.required ?? []) {
    const prop = props[name] ?? {};
    if (prop.default !== undefined) args[name] = prop.default;
    else if (prop.type === 'number' || prop.type === 'integer') args[name] = 2;
    else if (prop.type === 'boolean') args[name] = true;
    else args[name] = 'conformance';
  }
  return args;
}

/** The client ID metadata document URL the suite's auth/basic-cimd scenario expects as the client id. */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';

/**
 * The server's `oauth` block for an auth scenario (undefined for the others): the pre-registered client the suite
 * hands over in its context, client_credentials for the machine-client scenarios, and a client ID metadata document
 * URL where the scenario tests that (a user configures the URL of the document they publish).
 */
function oauthFor(
  scenario: string,
  context: Record<string, unknown>,
  home: string,
): Record<string, unknown> | undefined {
  if (!scenario.startsWith('auth/')) return undefined;
  const oauth: Record<string, unknown> = {};
  if (typeof context.client_id === 'string') oauth.clientId = context.client_id;
  if (typeof context.client_secret === 'string') oauth.clientSecret = context.client_secret;
  if (typeof context.private_key_pem === 'string') {
    // private_key_jwt (auth/client-credentials-jwt): the key stays out of the config, in a 0600 file, as a user
    // keeps it.
    const keyFile = path.join(home, 'client-key.pem');
    fs.writeFileSync(keyFile, context.private_key_pem, { mode: 0o600 });
    oauth.privateKey = `\${file:${keyFile}}`;
    if (typeof context.signing_algorithm === 'string') oauth.privateKeyAlg = context.signing_algorithm;
  }
  if (scenario.startsWith('auth/client-credentials')) oauth.grant = 'client_credentials';
  if (scenario === 'auth/basic-cimd') oauth.clientMetadataUrl = CIMD_URL;
  return oauth;
}

/** The access tokens the suite's authorization server issues (`test-token-<ms>`, `test-token-prereg-<ms>`, `cc-token-<ms>`). */
const SUITE_TOKEN = /\b(?:test-token|cc-token)-(?:prereg-)?\d{10,}/;

/** Files under `dir` that hold one of the suite's tokens in clear (the vault must encrypt them). */
function filesWithToken(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && SUITE_TOKEN.test(fs.readFileSync(path.join(e.parentPath, e.name), 'latin1')))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * `secure-mcp-gateway auth login suite`, as a user runs it. Its output is passed on (the URL it prints goes to the
 * suite's log); output with a token in it fails the sign-in.
 */
function login(configPath: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'auth', 'login', 'suite', '--config', configPath, '--timeout', '15'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      process.stdout.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
      process.stderr.write(c);
    });
    child.once('error', () => resolve(-1));
    child.once('close', (code) => {
      if (SUITE_TOKEN.test(output)) {
        console.log('auth login printed an access token');
        resolve(-1);
      } else resolve(code);
    });
  });
}

async function main(): Promise<number> {
  const url = process.argv.at(-1);
  if (!url?.startsWith('http')) {
    console.error('usage: client.ts <server-url>');
    return 2;
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, unknown>;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-conformance-client-'));
  const oauth = oauthFor(scenario, context, home);
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      // The suite's server asks for elicitation and sampling: a server declares that need in the config (issue 15,
      // both default to deny).
      servers: {
        suite: { url, transport: 'streamable-http', elicitation: 'allow', sampling: 'allow', ...(oauth && { oauth }) },
      },
      log: { level: 'warn', file: false },
    }),
  );
  // Tokens go to the encrypted-file vault (no keychain service in CI), the same for `auth login` and the gateway.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    SMG_HOME: home,
    SMG_VAULT: 'file',
    SMG_VAULT_PASSPHRASE: 'conformance-passphrase',
  };
  const signIn = async () => {
    const code = await login(configPath, { ...env, BROWSER: browserCommand(home) });
    console.log(`auth login suite: exit ${code}`);
    return code === 0;
  };
  if (oauth && !(await signIn())) {
    fs.rmSync(home, { recursive: true, force: true });
    return 1;
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'start', '--config', configPath],
    env,
    stderr: 'inherit',
  });
  const client = new Client(
    { name: 'smg-conformance-client', version: '1.0.0' },
    { capabilities: { elicitation: { form: { applyDefaults: true } }, sampling: {} } },
  );
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: {} }));
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    role: 'assistant',
    content: { type: 'text', text: 'a reply from the conformance client' },
    model: 'conformance',
  }));
  let failed = 0;
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    // An auth scenario's server answers only a signed-in client: without one of its tools (suite__*; the gateway's
    // own _gateway_status says why it is missing) the token was not used.
    if (oauth && !tools.some((t) => t.name.startsWith('suite__'))) {
      console.log('no tool of the suite listed: the gateway did not reach the server with its token');
      failed++;
    }
    for (const tool of tools) {
      const call = () => client.callTool({ name: tool.name, arguments: argumentsFor(tool) });
      try {
        let result = await call();
        // The gateway's answer when the server wants a new sign-in (more scopes): do what it says, once.
        if (oauth && result.isError && JSON.stringify(result.content).includes('auth login') && (await signIn()))
          result = await call();
        const text = JSON.stringify(result.content).slice(0, 300);
        console.log(`${tool.name}: ${result.isError ? 'error result' : 'ok'} ${text}`);
        if (result.isError) failed++;
      } catch (error) {
        // A JSON-RPC error from the gateway (an upstream failure): this call failed; the others still run.
        console.log(`${tool.name}: error ${(error as Error).message}`);
        failed++;
      }
    }
  } finally {
    await client.close();
    // The tokens live in the encrypted vault only: no file the gateway or `auth login` wrote holds one in clear.
    for (const file of filesWithToken(home)) {
      console.log(`an access token in clear in ${path.relative(home, file)}`);
      failed++;
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
