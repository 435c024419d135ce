import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { describeUnavailable, formatProblem, loadConfig, parseConfig, problemsOf, referenceFix } from './load.js';
import { resolvePaths } from './paths.js';
import { createFileStore } from '../vault/file.js';

const FILE = '/etc/smg/config.json';

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): GatewayError {
  try {
    parseConfig(text, FILE, env);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a config error');
}

describe('parseConfig', () => {
  it('fills secure defaults for a config that only lists servers', () => {
    const { config, servers } = parseConfig('{"servers":{"fs":{"command":"npx","args":["-y","x"]}}}', FILE, {});
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ name: 'fs', kind: 'stdio', command: 'npx', args: ['-y', 'x'] });
    expect(servers[0]!.policy.schema.mode).toBe('enforce');
    expect(servers[0]!.policy.schema.uncompilable).toBe('deny');
    expect(servers[0]!.config.tools).toEqual({ allow: ['*'], deny: [] });
    expect(config.cache.ttlMs).toBe(4 * 3600 * 1000);
  });

  it('leaves disabled servers out entirely', () => {
    const { servers } = parseConfig(
      '{"servers":{"a":{"command":"x"},"b":{"url":"https://e.example/mcp","enabled":false}}}',
      FILE,
      {},
    );
    expect(servers.map((s) => s.name)).toEqual(['a']);
  });

  it.each([
    ['bad JSON', '{"servers": {', /config\.json: not valid JSON: .*line 1, column/],
    [
      'a wrong type',
      '{"servers":{"fs":{"command":"x","timeoutMs":"soon"}}}',
      /at servers\.fs\.timeoutMs: .*expected number/,
    ],
    [
      'an unknown server field',
      '{"servers":{"fs":{"command":"x","comand":"y"}}}',
      /at servers\.fs: unknown field "comand"/,
    ],
    ['an unknown top-level field', '{"servers":{},"polices":{}}', /at \(root\): unknown field "polices"/],
    [
      'neither command nor url',
      '{"servers":{"fs":{"args":[]}}}',
      /at servers\.fs: expected "command" \(a stdio server\) or "url"/,
    ],
    ['both command and url', '{"servers":{"fs":{"command":"x","url":"http://h"}}}', /not both/],
    [
      'stdio fields on a remote server',
      '{"servers":{"r":{"url":"http://h","env":{"A":"b"}}}}',
      /at servers\.r\.env: "env" only applies to stdio/,
    ],
    ['a bad server name', '{"servers":{"a__b":{"command":"x"}}}', /at servers\.a__b: invalid name: a server name/],
    [
      'an unknown policy',
      '{"servers":{"fs":{"command":"x","policy":"strict"}}}',
      /at servers\.fs\.policy: no policy named "strict"/,
    ],
    [
      'a bad transport',
      '{"servers":{"r":{"url":"http://h","transport":"ws"}}}',
      /at servers\.r\.transport: expected one of "streamable-http", "sse", "auto"/,
    ],
    ['a non-http url', '{"servers":{"r":{"url":"ftp://h"}}}', /at servers\.r\.url: expected an http/],
    [
      'a missing env reference in a provider',
      '{"servers":{},"providers":{"m":{"type":"openai-moderation","apiKey":"${env:OPENAI_KEY}"}}}',
      /at providers\.m\.apiKey: environment variable OPENAI_KEY is not set/,
    ],
    [
      'a missing env reference in state (with a server that resolves)',
      '{"servers":{"fs":{"command":"x"}},"state":{"backend":"redis","url":"${env:REDIS_URL}"}}',
      /at state\.url: environment variable REDIS_URL is not set/,
    ],
    [
      'a missing file reference in a judge',
      '{"servers":{},"judges":{"j":{"baseUrl":"https://j.example/v1","model":"m","apiKey":"${file:/nonexistent/k}"}}}',
      /at judges\.j\.apiKey: cannot read \/nonexistent\/k \(ENOENT\)/,
    ],
    [
      'a refused regex in a server (a security setting)',
      '{"servers":{"fs":{"command":"x","arguments":{"t.q":{"kind":"value","pattern":"(a+)+$"}}}}}',
      /at servers\.fs\.arguments\["t\.q"\]\.pattern: the regex/,
    ],
  ])('rejects %s with the file, the JSON path and what was expected', (_what, text, message) => {
    const error = errorOf(text);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(message);
    // Same input twice: no state carried between parses.
    expect(errorOf(text).message).toBe(error.message);
  });

  it.each([
    [
      'a missing env reference',
      { command: 'x', env: { TOKEN: '${env:FS_TOKEN}' } },
      'at servers.bad.env.TOKEN: environment variable FS_TOKEN is not set (referenced as ${env:FS_TOKEN})',
    ],
    [
      'a missing file reference',
      { url: 'http://h', headers: { Authorization: 'Bearer ${file:/nonexistent/t}' } },
      'at servers.bad.headers.Authorization: cannot read /nonexistent/t (ENOENT), referenced as ${file:/nonexistent/t}',
    ],
    [
      'a missing reference in args',
      { command: 'x', args: ['--root', '${env:SMG_WORKSPACE}'] },
      'at servers.bad.args[1]: environment variable SMG_WORKSPACE is not set (referenced as ${env:SMG_WORKSPACE})',
    ],
    [
      'a missing reference in a url',
      { url: '${env:MCP_URL}' },
      'at servers.bad.url: environment variable MCP_URL is not set (referenced as ${env:MCP_URL})',
    ],
    [
      'a missing reference in roots',
      { command: 'x', roots: ['${env:ROOT}'] },
      'at servers.bad.roots[0]: environment variable ROOT is not set (referenced as ${env:ROOT})',
    ],
    [
      'a missing publicKey (fail-closed: the server never starts unverified)',
      { command: 'x', integrity: { publicKey: '${file:/nonexistent/key.pem}' } },
      'at servers.bad.integrity.publicKey: cannot read /nonexistent/key.pem (ENOENT), referenced as ${file:/nonexistent/key.pem}',
    ],
  ])('makes only the server with %s unavailable, naming the path and why', (_what, bad, line) => {
    const text = JSON.stringify({
      servers: { bad, good: { command: 'node', args: ['${env:DIR}/s.js'] } },
    });
    for (let i = 0; i < 2; i++) {
      const loaded = parseConfig(text, FILE, { DIR: '/srv' });
      expect(loaded.servers.map((s) => s.name)).toEqual(['good']);
      expect(loaded.servers[0]!.args).toEqual(['/srv/s.js']);
      expect(loaded.unavailable).toHaveLength(1);
      expect(loaded.unavailable[0]!.name).toBe('bad');
      expect(loaded.unavailable[0]!.problems.map(formatProblem)).toEqual([line]);
      expect(describeUnavailable(loaded.unavailable[0]!)).toBe(`server "bad" is unavailable: ${line}`);
    }
  });

  it('lists every unresolvable reference of an unavailable server and never a resolved value', () => {
    const text = JSON.stringify({
      servers: { s: { command: 'x', args: ['${env:A}', '${env:SECRET}'], env: { B: '${env:B}' } } },
    });
    const loaded = parseConfig(text, FILE, { SECRET: 'hunter2-very-secret' });
    expect(loaded.servers).toEqual([]);
    expect(loaded.unavailable[0]!.problems.map((p) => p.path)).toEqual(['servers.s.args[0]', 'servers.s.env.B']);
    expect(JSON.stringify(loaded.unavailable)).not.toContain('hunter2');
  });

  it('makes only the server whose ${keychain:} secret is missing or unreadable unavailable', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-load-vault-'));
    createFileStore({ home }).set('GOOD_TOKEN', 'hunter2-from-vault');
    const env = { SMG_HOME: home, SMG_VAULT: 'file' };
    const text = JSON.stringify({
      servers: {
        good: { command: 'x', env: { T: '${keychain:GOOD_TOKEN}' } },
        bad: { command: 'x', env: { T: '${keychain:MISSING}' } },
      },
    });
    const loaded = parseConfig(text, FILE, env);
    expect(loaded.servers.map((s) => [s.name, s.env])).toEqual([['good', { T: 'hunter2-from-vault' }]]);
    expect(loaded.unavailable.map((u) => u.problems.map(formatProblem))).toEqual([
      [
        `at servers.bad.env.T: secret MISSING is not in the vault (${home}/vault.enc); add it with \`secure-mcp-gateway secrets set MISSING\``,
      ],
    ]);
    expect(loaded.secrets).toContain('hunter2-from-vault');
    fs.writeFileSync(path.join(home, 'vault.enc'), '{');
    const broken = parseConfig(text, FILE, env);
    expect(broken.servers).toEqual([]);
    expect(broken.unavailable.map((u) => u.problems[0]!.message)).toEqual([
      expect.stringMatching(
        /^cannot read \$\{keychain:GOOD_TOKEN\} from the credential vault: .*vault\.enc is damaged/,
      ),
      expect.stringMatching(/^cannot read \$\{keychain:MISSING\}/),
    ]);
  });

  it('ignores references of a disabled server', () => {
    const text = '{"servers":{"off":{"command":"x","env":{"T":"${env:NOPE}"},"enabled":false}}}';
    const loaded = parseConfig(text, FILE, {});
    expect(loaded.unavailable).toEqual([]);
    expect(loaded.servers).toEqual([]);
  });

  it('still refuses a server url of the wrong shape (a mistake in the file, not in the environment)', () => {
    const error = errorOf('{"servers":{"r":{"url":"${env:U}"}}}', { U: 'ftp://h' });
    expect(error.message).toMatch(/at servers\.r\.url: expected an http/);
  });

  it.each([
    [
      '"env"',
      'at servers.fs.env.T: environment variable FS_TOKEN is not set (referenced as ${env:FS_TOKEN})',
      /set FS_TOKEN in the environment the client starts the gateway with.*\$\{file:…\}/,
    ],
    [
      '"file"',
      'at servers.fs.env.T: cannot read /x (ENOENT), referenced as ${file:/x}',
      /create the file \(mode 0600\) or correct the path/,
    ],
    [
      '"keychain"',
      'at servers.fs.env.T: secret GH is not in the vault (/h/vault.enc); add it with `secure-mcp-gateway secrets set GH`',
      /^add it with `secure-mcp-gateway secrets set GH`$/,
    ],
    [
      'vault',
      'at servers.fs.env.T: cannot read ${keychain:GH} from the credential vault: /h/vault.enc is damaged (not JSON)',
      /repair the credential vault/,
    ],
  ])('gives the one-line fix for a missing %s reference', (_kind, line, fix) => {
    const [, path, message] = /^at (\S+): (.*)$/.exec(line)!;
    expect(referenceFix({ path: path!, message: message! })).toMatch(fix);
  });

  it('carries the problems of a refused config as data, in the words of its message', () => {
    const error = errorOf('{"servers":{"fs":{"command":"x","comand":"y"}},"state":{"backend":"redis"}}');
    const problems = problemsOf(error)!;
    expect(problems.map(formatProblem)).toEqual([
      'at servers.fs: unknown field "comand"',
      expect.stringMatching(/^at state\.url: /),
    ]);
    for (const p of problems) expect(error.message).toContain(`  ${formatProblem(p)}`);
    expect(problemsOf(new Error('x'))).toBeUndefined();
  });

  it('resolves ${env:} and ${file:} references and remembers them as secrets', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-refs-'));
    fs.writeFileSync(path.join(dir, 'token'), 's3cr3t-token\n');
    const text = JSON.stringify({
      servers: {
        fs: { command: 'node', args: ['${env:DIR}/x', 'literal $${env:NOT}'], env: { T: '${env:TOK}' } },
        r: { url: 'https://h.example/mcp', headers: { Authorization: 'Bearer ${file:token}' } },
      },
    });
    const loaded = parseConfig(text, path.join(dir, 'config.json'), { DIR: '/data', TOK: 'abc123456' });
    const fsServer = loaded.servers.find((s) => s.name === 'fs')!;
    expect(fsServer.args).toEqual(['/data/x', 'literal ${env:NOT}']);
    expect(fsServer.env).toEqual({ T: 'abc123456' });
    expect(loaded.servers.find((s) => s.name === 'r')!.headers).toEqual({ Authorization: 'Bearer s3cr3t-token' });
    expect(loaded.secrets).toEqual(expect.arrayContaining(['abc123456', 'Bearer s3cr3t-token']));
  });
});

describe('parseConfig: local model providers', () => {
  it('resolves model and vocab paths from the config file, ~ and references included', () => {
    const text = JSON.stringify({
      servers: {},
      providers: {
        rel: { type: 'onnx', model: 'models/m.onnx', tokenizer: { type: 'wordpiece', vocab: '${env:VOCAB}' } },
        home: { type: 'onnx', model: '~/m.onnx', tokenizer: { type: 'wordpiece' } },
        abs: { type: 'onnx', model: '/opt/m.onnx', tokenizer: { type: 'hashing' } },
        hf: {
          type: 'onnx',
          model: 'models/pg2',
          tokenizer: { type: 'huggingface', path: 'tok/tokenizer.json', config: '~/tc.json' },
        },
        dir: { type: 'onnx', model: 'models/pg2' },
      },
    });
    const { providers } = parseConfig(text, FILE, { VOCAB: 'v/vocab.txt', HOME: '/home/me' });
    expect(providers.rel).toMatchObject({
      model: '/etc/smg/models/m.onnx',
      tokenizer: { vocab: '/etc/smg/v/vocab.txt' },
    });
    expect(providers.home).toMatchObject({ model: '/home/me/m.onnx', tokenizer: { type: 'wordpiece' } });
    expect(providers.abs).toMatchObject({ model: '/opt/m.onnx' });
    expect(providers.hf).toMatchObject({
      model: '/etc/smg/models/pg2',
      tokenizer: { type: 'huggingface', path: '/etc/smg/tok/tokenizer.json', config: '/home/me/tc.json' },
    });
    expect(providers.dir).toEqual({ type: 'onnx', model: '/etc/smg/models/pg2' });
  });
});

describe('loadConfig', () => {
  it('says how to create a config when the file is missing', () => {
    try {
      loadConfig('/nonexistent/smg/config.json');
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).code).toBe('CONFIG_MISSING');
      expect((error as Error).message).toMatch(/no config file at \/nonexistent\/smg\/config\.json[\s\S]*init/);
    }
  });
});

describe('resolvePaths', () => {
  it.each([
    [{}, {}, '/home/u/.secure-mcp-gateway', '/home/u/.secure-mcp-gateway/config.json'],
    [{}, { SMG_HOME: '/srv/smg' }, '/srv/smg', '/srv/smg/config.json'],
    [{}, { SMG_CONFIG: '/etc/c.json' }, '/home/u/.secure-mcp-gateway', '/etc/c.json'],
    [{ config: '/x/y.json' }, { SMG_CONFIG: '/etc/c.json' }, '/home/u/.secure-mcp-gateway', '/x/y.json'],
    [{ config: '~/c.json' }, {}, '/home/u/.secure-mcp-gateway', '/home/u/c.json'],
  ])('with %j and %j uses home %s and config %s', (opts, env, home, config) => {
    const p = resolvePaths(opts, { HOME: '/home/u', ...env });
    expect(p.home).toBe(home);
    expect(p.config).toBe(config);
    expect(p.cacheDir).toBe(path.join(home, 'cache'));
  });
});

describe('parseConfig: state', () => {
  const withState = (state: object) => JSON.stringify({ servers: {}, state });

  it('defaults to the memory back end', () => {
    expect(parseConfig(JSON.stringify({ servers: {} }), FILE, {}).state).toMatchObject({ backend: 'memory' });
  });

  it('resolves a ${env:} Redis URL and masks it as a secret', () => {
    const loaded = parseConfig(withState({ backend: 'redis', url: '${env:REDIS_URL}' }), FILE, {
      REDIS_URL: 'redis://:pw@10.0.0.5:6379/2',
    });
    expect(loaded.state).toMatchObject({ backend: 'redis', url: 'redis://:pw@10.0.0.5:6379/2', keyPrefix: 'smg:' });
    expect(loaded.secrets).toContain('redis://:pw@10.0.0.5:6379/2');
  });

  it.each([
    [{ backend: 'redis' }, 'at state.url: the redis backend needs a "url"'],
    [{ backend: 'redis', url: 'http://h:6379' }, 'at state.url: expected a redis:// or rediss:// URL with a host'],
    [{ backend: 'redis', url: '${env:MISSING}' }, 'at state.url: environment variable MISSING is not set'],
  ])('refuses %j, naming the path', (state, message) => {
    const error = errorOf(withState(state));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(FILE);
    expect(error.message).toContain(message);
  });
});

describe('parseConfig: llm', () => {
  const withLlm = (llm: object, extra: object = {}) => JSON.stringify({ servers: {}, llm, ...extra });
  const providers = {
    openai: { kind: 'openai', apiKey: '${env:OPENAI_API_KEY}' },
    local: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
  };

  it('resolves provider keys, masks them, and keeps a provider whose key is missing out with its path', () => {
    for (let i = 0; i < 2; i++) {
      const ok = parseConfig(withLlm({ providers }), FILE, { OPENAI_API_KEY: 'sk-test-123' });
      expect(ok.llm.providers.openai).toMatchObject({ kind: 'openai', apiKey: 'sk-test-123' });
      expect(ok.secrets).toContain('sk-test-123');
      expect(ok.llmProblems).toEqual([]);
      const missing = parseConfig(withLlm({ providers }), FILE, {});
      expect(Object.keys(missing.llm.providers)).toEqual(['local']);
      expect(missing.llmProblems).toEqual([
        {
          path: 'llm.providers.openai.apiKey',
          message: 'environment variable OPENAI_API_KEY is not set (referenced as ${env:OPENAI_API_KEY})',
        },
      ]);
    }
  });

  it.each([
    [{ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', apiKey: '${env:LOCAL_KEY}' }, 'apiKey'],
    [{ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', headers: { 'X-Org': '${env:ORG}' } }, 'headers'],
  ])('keeps out a provider whose reference is missing even where an empty value is allowed (%j)', (local, field) => {
    for (let i = 0; i < 2; i++) {
      const loaded = parseConfig(withLlm({ providers: { local } }), FILE, {});
      expect(loaded.llm.providers).toEqual({});
      expect(loaded.llmProblems).toEqual([
        expect.objectContaining({ path: expect.stringMatching(new RegExp(`^llm\\.providers\\.local\\.${field}`)) }),
      ]);
    }
  });

  it.each([
    [
      { deployments: { fast: { provider: 'openai', model: 'm', input: 'nope' } } },
      'at llm.deployments.fast.input: no policy named "nope"',
    ],
    [
      { deployments: { fast: { provider: 'gone', model: 'm' } } },
      'at llm.deployments.fast.provider: no provider named "gone"',
    ],
    [{ limits: { key: { tokensPerDay: -1 } } }, 'at llm.limits.key.tokensPerDay'],
  ])('refuses %j, naming the path', (llm, message) => {
    const error = errorOf(withLlm({ providers, ...llm }), { OPENAI_API_KEY: 'k' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(message);
  });

  it('lets a role name the deployments it may use', () => {
    const { config } = parseConfig(
      JSON.stringify({ servers: {}, roles: { dev: { deployments: ['gpt-*'] } } }),
      FILE,
      {},
    );
    expect(config.roles.dev!.deployments).toEqual(['gpt-*']);
  });
});
