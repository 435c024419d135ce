import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors.js';

import { createOpenAIModerationProvider, type OpenAIModerationProviderConfig } from './openai-moderation.js';
import { hang, json, live, useFakeApi } from '../../../test/support/provider-test-server.js';

const KEY = 'sk-proj-9c8b7a6f5e4d3c2b1a';
const TEXT = 'I will hurt you';

const fake = useFakeApi();

function moderation(more: Partial<OpenAIModerationProviderConfig> = {}) {
  return createOpenAIModerationProvider({ apiKey: KEY, baseUrl: `${fake.api.origin}/v1/`, ...more });
}

function result(
  flags: Record<string, boolean>,
  scores: Record<string, number>,
  flagged = Object.values(flags).includes(true),
) {
  return {
    id: 'modr-1',
    model: 'omni-moderation-latest',
    results: [{ flagged, categories: flags, category_scores: scores }],
  };
}

const FLAGGED = result(
  { harassment: true, 'harassment/threatening': true, violence: true, sexual: false },
  { harassment: 0.71, 'harassment/threatening': 0.64, violence: 0.93, sexual: 0.001 },
);

describe('OpenAI moderation provider', () => {
  it('POSTs { model, input } to <baseUrl>/moderations with a bearer token', async () => {
    fake.api.handle((_req, res) => json(res, 200, result({ sexual: false }, { sexual: 0.01 })));
    await moderation().scan(TEXT, 'input', live());
    const [seen] = fake.api.requests;
    expect(seen?.path).toBe('/v1/moderations');
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen?.body).toEqual({ model: 'omni-moderation-latest', input: TEXT });
  });

  it('sends a configured model', async () => {
    fake.api.handle((_req, res) => json(res, 200, result({}, {})));
    await moderation({ model: 'text-moderation-stable' }).scan(TEXT, 'input', live());
    expect(fake.api.requests[0]?.body).toMatchObject({ model: 'text-moderation-stable' });
  });

  it('reports one detection per flagged category, scored from category_scores', async () => {
    fake.api.handle((_req, res) => json(res, 200, FLAGGED));
    const p = moderation();
    for (let i = 0; i < 2; i++) {
      await expect(p.scan(TEXT, 'output', live())).resolves.toEqual([
        {
          detector: 'openai-moderation',
          rule: 'openai-moderation.harassment',
          score: 0.71,
          excerpt: 'I …ou (15 chars)',
        },
        {
          detector: 'openai-moderation',
          rule: 'openai-moderation.harassment/threatening',
          score: 0.64,
          excerpt: 'I …ou (15 chars)',
        },
        { detector: 'openai-moderation', rule: 'openai-moderation.violence', score: 0.93, excerpt: 'I …ou (15 chars)' },
      ]);
    }
    expect(fake.api.requests).toHaveLength(1);
  });

  it('returns nothing for a clean answer', async () => {
    fake.api.handle((_req, res) =>
      json(res, 200, result({ violence: false, hate: false }, { violence: 0.02, hate: 0.001 })),
    );
    const p = moderation();
    await expect(p.scan('hello', 'input', live())).resolves.toEqual([]);
    await expect(p.scan('hello', 'input', live())).resolves.toEqual([]);
  });

  it('lets a threshold decide instead of OpenAI’s flags', async () => {
    fake.api.handle((_req, res) => json(res, 200, FLAGGED));
    const found = await moderation({ threshold: 0.7 }).scan(TEXT, 'input', live());
    expect(found.map((d) => [d.rule, d.score])).toEqual([
      ['openai-moderation.harassment', 0.71],
      ['openai-moderation.violence', 0.93],
    ]);
  });

  it('reports a flagged result that names no category as <name>.flagged', async () => {
    fake.api.handle((_req, res) => json(res, 200, result({ violence: false }, { violence: 0.2 }, true)));
    const found = await moderation({ name: 'mod' }).scan(TEXT, 'input', live());
    expect(found.map((d) => [d.detector, d.rule, d.score])).toEqual([['mod', 'mod.flagged', 1]]);
  });

  it('keeps the highest score when several results flag the same category', async () => {
    const one = FLAGGED.results[0]!;
    const two = { ...one, category_scores: { ...one.category_scores, violence: 0.99 } };
    fake.api.handle((_req, res) => json(res, 200, { results: [one, two] }));
    const found = await moderation().scan(TEXT, 'input', live());
    expect(found.find((d) => d.rule.endsWith('.violence'))?.score).toBe(0.99);
    expect(found).toHaveLength(3);
  });

  it.each([
    ['no results', { results: [] }, 'expected a non-empty array at results, got an array'],
    ['a body that is an array', [], 'expected a non-empty array at results, got nothing'],
    ['a body without results', { error: { message: 'x' } }, 'expected a non-empty array at results, got nothing'],
    [
      'a result without flagged',
      { results: [{ categories: {}, category_scores: {} }] },
      'expected a boolean at results.0.flagged',
    ],
    [
      'a result without categories',
      { results: [{ flagged: false, category_scores: {} }] },
      'expected objects at results.0.categories and results.0.category_scores',
    ],
    [
      'a category flag that is not a boolean',
      result({ violence: 'yes' } as unknown as Record<string, boolean>, { violence: 0.9 }),
      'expected a boolean at results.0.categories.violence, got a string',
    ],
    [
      'a missing score',
      result({ violence: true }, {}),
      'expected a score at results.0.category_scores.violence, got nothing',
    ],
  ])('fails closed on %s', async (_what, body, reason) => {
    fake.api.handle((_req, res) => json(res, 200, body));
    const p = moderation();
    for (let i = 0; i < 2; i++) {
      const error = await p.scan(TEXT, 'input', live()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as Error).message).toBe(
        `guardrail provider "openai-moderation" failed: unexpected response: ${reason}`,
      );
    }
  });

  it('fails closed on 401 and never shows the key', async () => {
    fake.api.handle((_req, res) => json(res, 401, { error: { message: `Incorrect API key provided: ${KEY}` } }));
    const error = await moderation()
      .scan(TEXT, 'input', live())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('guardrail provider "openai-moderation" failed: answered HTTP 401');
    expect((error as Error).message).not.toContain(KEY);
    expect(fake.api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('fails closed on invalid JSON', async () => {
    fake.api.handle((_req, res) => json(res, 200, '{"results": ['));
    await expect(moderation().scan(TEXT, 'input', live())).rejects.toThrow(
      'guardrail provider "openai-moderation" failed: the response is not JSON',
    );
  });

  it('fails closed on a timeout, or returns [] when failing open', async () => {
    fake.api.handle(hang);
    await expect(moderation({ timeoutMs: 120 }).scan(TEXT, 'input', live())).rejects.toThrow(/timed out after 120 ms/);
    await expect(moderation({ timeoutMs: 120, failOpen: true }).scan(TEXT, 'input', live())).resolves.toEqual([]);
  });

  it('is named openai-moderation unless configured', () => {
    expect(createOpenAIModerationProvider({ apiKey: KEY }).id).toBe('openai-moderation');
    expect(createOpenAIModerationProvider({ apiKey: KEY, name: 'mod' }).id).toBe('mod');
  });
});
