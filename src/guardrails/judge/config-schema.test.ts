import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-judge-config-'));
fs.writeFileSync(path.join(dir, 'rules.md'), '- one rule\n');
const file = path.join(dir, 'config.json');
const parse = (config: object, env: NodeJS.ProcessEnv = {}) => parseConfig(JSON.stringify(config), file, env);
const servers = { s: { command: 'node' } };

describe('judge config', () => {
  it('resolves references in judges and makes document paths absolute from the config file', () => {
    const loaded = parse(
      {
        servers,
        judges: { local: { baseUrl: '${env:JUDGE_URL}', model: 'm', apiKey: '${env:JUDGE_KEY}' } },
        policyDocuments: ['rules.md'],
        policies: { strict: { judge: { policy: {}, relevancy: { threshold: 0.7 } } } },
      },
      { JUDGE_URL: 'http://127.0.0.1:11434/v1', JUDGE_KEY: 'sk-abc' },
    );
    expect(loaded.judges.local).toMatchObject({
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'sk-abc',
      timeoutMs: 4000,
      maxConcurrent: 4,
      jsonMode: true,
    });
    expect(loaded.secrets).toContain('sk-abc');
    expect(loaded.policyDocuments).toEqual([path.join(dir, 'rules.md')]);
    expect(loaded.policies.strict!.judge).toMatchObject({
      failureMode: 'closed',
      callsPerMinute: 120,
      policy: { action: 'block', input: true, output: true, tools: ['*'], threshold: 0.5 },
      relevancy: { threshold: 0.7 },
    });
  });

  it.each([
    [
      {
        judges: { a: { baseUrl: 'http://x/v1', model: 'm' } },
        policies: { p: { judge: { judge: 'b', relevancy: {} } } },
      },
      /at policies\.p\.judge\.judge: no judge named "b" under "judges" \(known: a\)/,
    ],
    [{ policies: { p: { judge: { relevancy: {} } } } }, /no endpoint under "judges"/],
    [
      {
        judges: { a: { baseUrl: 'http://x/v1', model: 'm' }, b: { baseUrl: 'http://y/v1', model: 'm' } },
        policies: { p: { judge: { relevancy: {} } } },
      },
      /name the judge to use \(one of a, b\)/,
    ],
    [
      { judges: { a: { baseUrl: 'http://x/v1', model: 'm' } }, policies: { p: { judge: { policy: {} } } } },
      /at policies\.p\.judge\.policy: the policy check needs at least one file under "policyDocuments"/,
    ],
    [
      {
        judges: { a: { baseUrl: 'http://x/v1', model: 'm' } },
        policies: { p: { judge: { injection: { from: 0.5, to: 0.3 } } } },
      },
      /at policies\.p\.judge\.injection\.to: "to" must be above "from"/,
    ],
    [{ policyDocuments: ['missing.pdf'] }, /at policyDocuments\[0\]: no such file: .*missing\.pdf/],
    [{ policyDocuments: ['rules.docx'] }, /at policyDocuments\[0\]: expected a \.txt, \.md or \.pdf file/],
    [{ judges: { a: { baseUrl: 'ftp://x', model: 'm' } } }, /at judges\.a\.baseUrl: expected an http/],
    [{ judges: { a: { baseUrl: 'http://x', model: 'm', maxConcurrent: 0 } } }, /at judges\.a\.maxConcurrent/],
    [{ policies: { p: { judge: { relevancy: { colour: 1 } } } } }, /unknown field "colour"/],
  ])('refuses a bad judge config with the JSON path (%#)', (config, message) => {
    expect(() => parse({ servers, ...config })).toThrow(message);
    expect(() => parse({ servers, ...config })).toThrow(/CONFIG_INVALID|invalid config/);
  });
});
