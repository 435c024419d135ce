import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isGatewayError } from '../../errors.js';
import { createProvider, ProviderSchema, ProvidersSchema } from './index.js';
import { json, live, useFakeApi } from '../../../test/support/provider-test-server.js';

const fake = useFakeApi();

const valid = {
  http: {
    type: 'http',
    url: 'https://guard.example.com/v1/scan',
    headers: { Authorization: 'Bearer ${env:GUARD_TOKEN}' },
    request: { textField: 'input', extra: { policy: 'strict' } },
    response: { flaggedPath: 'result.flagged', scorePath: 'data.0.score', labelsPath: 'labels', threshold: 0.5 },
    timeoutMs: 2000,
    retries: 1,
    failOpen: false,
    cacheSize: 500,
  },
  enkrypt: {
    type: 'enkrypt',
    apiKey: '${env:ENKRYPTAI_API_KEY}',
    detectors: {
      injection_attack: { enabled: true },
      pii: { enabled: true, entities: ['pii', 'secrets'] },
      keyword_detector: { enabled: true, banned_keywords: ['Project Falcon'] },
      policy_violation: { enabled: true, policy_text: 'No hacking advice', need_explanation: false },
    },
  },
  'openai-moderation': { type: 'openai-moderation', apiKey: '${env:OPENAI_API_KEY}', threshold: 0.8 },
  onnx: {
    type: 'onnx',
    model: '~/.secure-mcp-gateway/models/injection/model.onnx',
    tokenizer: { type: 'wordpiece', vocab: '${env:MODELS}/vocab.txt', lowercase: true },
    inputs: { ids: 'input_ids', mask: 'attention_mask', typeIds: 'token_type_ids' },
    output: 'logits',
    activation: 'auto',
    unsafeLabel: 'INJECTION',
    labels: ['SAFE', 'INJECTION'],
    threshold: 0.9,
    rule: 'injection',
    maxLength: 256,
    overlap: 32,
    maxChunks: 8,
    overflow: 'fail',
    timeoutMs: 2000,
    failOpen: false,
    cacheSize: 100,
  },
  'onnx-export': { type: 'onnx', model: '~/models/llama-prompt-guard-2-22m' },
  'onnx-tokenizer-json': {
    type: 'onnx',
    model: 'models/deberta/model.onnx',
    tokenizer: { type: 'huggingface', path: 'models/deberta/tokenizer.json', config: '${env:MODELS}/tc.json' },
    inputs: { ids: 'input_ids', mask: 'attention_mask' },
    unsafeLabel: 'INJECTION',
  },
  'onnx-hashing': {
    type: 'onnx',
    model: 'models/tiny.onnx',
    tokenizer: { type: 'hashing', features: 4096, ngrams: 2, lowercase: true, alternateSign: true, norm: 'l2' },
    inputs: { features: 'float_input' },
    unsafeLabel: 1,
  },
};

describe('provider config schema', () => {
  it.each(Object.entries(valid))('accepts a %s provider', (_type, cfg) => {
    expect(ProviderSchema.parse(cfg)).toEqual(cfg);
    expect(ProviderSchema.parse(cfg)).toEqual(cfg);
  });

  it('accepts a map of named providers', () => {
    expect(ProvidersSchema.safeParse({ enkrypt: valid.enkrypt, 'my-guard-2': valid.http }).success).toBe(true);
  });

  it.each([
    ['an unknown type', { type: 'lakera', apiKey: 'k' }],
    ['an unknown field', { ...valid['openai-moderation'], organisation: 'x' }],
    ['an unknown nested field', { ...valid.http, response: { flaggedPath: 'flagged', scorePaht: 'score' } }],
    ['an unknown detector', { ...valid.enkrypt, detectors: { jailbreak: { enabled: true } } }],
    ['a non-http URL', { ...valid.http, url: 'ftp://guard.example.com/' }],
    ['an empty path segment', { ...valid.http, response: { flaggedPath: 'result..flagged' } }],
    ['a threshold without a score', { ...valid.http, response: { flaggedPath: 'flagged', threshold: 0.5 } }],
    ['extra that sets the text field', { ...valid.http, request: { extra: { text: 'x' } } }],
    ['extra that sets a renamed text field', { ...valid.http, request: { textField: 'q', extra: { q: 'x' } } }],
    ['a threshold above 1', { ...valid['openai-moderation'], threshold: 2 }],
    ['a timeout below 100 ms', { ...valid['openai-moderation'], timeoutMs: 5 }],
    ['a negative cache size', { ...valid['openai-moderation'], cacheSize: -1 }],
    ['an empty API key', { ...valid.enkrypt, apiKey: '' }],
    ['keywords enabled without keywords', { ...valid.enkrypt, detectors: { keyword_detector: { enabled: true } } }],
    ['an onnx provider without a model', { type: 'onnx', tokenizer: { type: 'wordpiece' } }],
    ['an unknown tokenizer', { ...valid.onnx, tokenizer: { type: 'sentencepiece' } }],
    ['an unknown tokenizer field', { ...valid.onnx, tokenizer: { type: 'wordpiece', casing: 'lower' } }],
    ['a vocab for a tokenizer.json', { ...valid.onnx, tokenizer: { type: 'huggingface', vocab: 'vocab.txt' } }],
    ['an empty tokenizer.json path', { ...valid.onnx, tokenizer: { type: 'huggingface', path: '' } }],
    ['a features input with the default tokenizer', { ...valid['onnx-export'], inputs: { features: 'x' } }],
    ['an overlap as long as a chunk', { ...valid.onnx, maxLength: 64, overlap: 62 }],
    ['a features input with wordpiece', { ...valid.onnx, inputs: { features: 'x' } }],
    ['token inputs with hashing', { ...valid['onnx-hashing'], inputs: { ids: 'input_ids' } }],
    ['a rule with spaces', { ...valid.onnx, rule: 'prompt injection' }],
    ['a negative label index', { ...valid.onnx, unsafeLabel: -1 }],
    ['retries on a local model', { ...valid.onnx, retries: 2 }],
  ])('rejects %s', (_what, cfg) => {
    expect(ProviderSchema.safeParse(cfg).success).toBe(false);
    expect(ProviderSchema.safeParse(cfg).success).toBe(false);
  });

  it.each(['Enkrypt', 'a.b', '-x', 'x'.repeat(33), ''])('rejects the provider name %j', (name) => {
    expect(ProvidersSchema.safeParse({ [name]: valid.enkrypt }).success).toBe(false);
  });

  it('accepts a URL that is a reference, to be resolved at start-up', () => {
    expect(ProviderSchema.safeParse({ ...valid.http, url: '${env:GUARD_URL}' }).success).toBe(true);
  });

  it('exports to JSON Schema with every field described', () => {
    const schema = z.toJSONSchema(ProvidersSchema, { io: 'input', target: 'draft-7' });
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (typeof node !== 'object' || node === null) return;
      const { properties } = node as { properties?: Record<string, { description?: string }> };
      for (const [key, child] of Object.entries(properties ?? {})) {
        if (!child.description) missing.push(`${at}.${key}`);
      }
      for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`);
    };
    walk(schema, '$');
    expect(missing).toEqual([]);
    expect(JSON.stringify(schema)).toContain('"additionalProperties":false');
  });
});

describe('createProvider', () => {
  it('builds each type under its configured name', async () => {
    fake.api.handle((req, res) => {
      if (req.path === '/http') return json(res, 200, { flagged: true });
      if (req.path === '/guardrails/detect') return json(res, 200, { summary: { injection_attack: 1 } });
      json(res, 200, { results: [{ flagged: true, categories: { hate: true }, category_scores: { hate: 0.9 } }] });
    });
    const detectors = [
      createProvider('mine', { type: 'http', url: `${fake.api.origin}/http`, response: { flaggedPath: 'flagged' } }),
      createProvider('ek', { type: 'enkrypt', apiKey: 'k', url: `${fake.api.origin}/guardrails/detect` }),
      createProvider('mod', { type: 'openai-moderation', apiKey: 'k', baseUrl: fake.api.origin }),
    ];
    const rules = await Promise.all(detectors.map((d) => d.scan('text', 'input', live())));
    expect(detectors.map((d) => d.id)).toEqual(['mine', 'ek', 'mod']);
    expect(rules.map((found) => found.map((d) => d.rule))).toEqual([
      ['mine.flagged'],
      ['ek.injection_attack'],
      ['mod.hate'],
    ]);
  });

  it('passes the failure hook through', async () => {
    fake.api.handle((_req, res) => json(res, 500, {}));
    const reports: string[] = [];
    const p = createProvider(
      'mod',
      { type: 'openai-moderation', apiKey: 'k', baseUrl: fake.api.origin, failOpen: true, retries: 0 },
      { onFailure: (m) => reports.push(m) },
    );
    await expect(p.scan('text', 'input', live())).resolves.toEqual([]);
    expect(reports).toEqual(['guardrail provider "mod" failed: answered HTTP 500']);
  });

  it('rejects a URL that is still not http after references are resolved', () => {
    let error: unknown;
    try {
      createProvider('mine', { type: 'http', url: 'file:///etc/passwd', response: { flaggedPath: 'flagged' } });
    } catch (e) {
      error = e;
    }
    expect(isGatewayError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
