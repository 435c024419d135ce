import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { loadConfig, parseConfig } from './load.js';
import { resolvePaths } from './paths.js';

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
      'a missing env reference',
      '{"servers":{"fs":{"command":"x","env":{"TOKEN":"${env:FS_TOKEN}"}}}}',
      /at servers\.fs\.env\.TOKEN: environment variable FS_TOKEN is not set/,
    ],
    [
      'a missing file reference',
      '{"servers":{"r":{"url":"http://h","headers":{"Authorization":"Bearer ${file:/nonexistent/t}"}}}}',
      /at servers\.r\.headers\.Authorization: cannot read \/nonexistent\/t \(ENOENT\)/,
    ],
  ])('rejects %s with the file, the JSON path and what was expected', (_what, text, message) => {
    const error = errorOf(text);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(message);
    // Same input twice: no state carried between parses.
    expect(errorOf(text).message).toBe(error.message);
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
