/**
 * OpenAI's moderation endpoint (`POST <baseUrl>/moderations`, `Authorization: Bearer <key>`, body
 * `{ model, input }`). It judges the whole text, in either phase: one detection per flagged category, rule
 * `<name>.<category>` with OpenAI's category name as is (`harassment/threatening`), score from `category_scores`.
 * With `threshold`, a category counts when its score reaches the threshold, instead of OpenAI's own flag.
 * Response shape: `{ results: [{ flagged, categories: { <c>: boolean }, category_scores: { <c>: number } }] }`
 * (platform.openai.com/docs/api-reference/moderations/object). Failure mode: closed, see client.ts; a body
 * without that shape is a failure.
 */
import { OPENAI_BASE_URL, OPENAI_MODERATION_MODEL } from './schema.js';
import type { AsyncDetector, Detection } from '../types.js';
import { createRemoteDetector, wholeTextDetection, type ProviderHooks, type RemoteCallOptions } from './client.js';
import { BadResponseError, isRecord, ruleSegment, toScore, typeOf } from './json.js';

export interface OpenAIModerationProviderConfig extends RemoteCallOptions {
  /** Detector id and rule prefix. Default `openai-moderation`. */
  name?: string;
  apiKey: string;
  /** Default OPENAI_BASE_URL; the endpoint is `<baseUrl>/moderations`. */
  baseUrl?: string;
  /** Default OPENAI_MODERATION_MODEL. */
  model?: string;
  threshold?: number;
}

export function createOpenAIModerationProvider(
  cfg: OpenAIModerationProviderConfig,
  hooks?: ProviderHooks,
): AsyncDetector {
  const name = cfg.name ?? 'openai-moderation';
  const model = cfg.model ?? OPENAI_MODERATION_MODEL;
  return createRemoteDetector(
    {
      name,
      url: `${(cfg.baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, '')}/moderations`,
      headers: { authorization: `Bearer ${cfg.apiKey}` },
      options: cfg,
      body: (text) => ({ model, input: text }),
      parse: (json, text) => parseModeration(json, text, name, cfg.threshold),
    },
    hooks,
  );
}

function parseModeration(json: unknown, text: string, name: string, threshold: number | undefined): Detection[] {
  const results = isRecord(json) ? json.results : undefined;
  if (!Array.isArray(results) || results.length === 0) {
    throw new BadResponseError(`expected a non-empty array at results, got ${typeOf(results)}`);
  }
  const out: Detection[] = [];
  // One input string gives one result; read them all anyway, so a split input can never hide a flag.
  results.forEach((result: unknown, i) => {
    const at = `results.${i}`;
    if (!isRecord(result) || typeof result.flagged !== 'boolean') {
      throw new BadResponseError(`expected a boolean at ${at}.flagged`);
    }
    const { categories, category_scores: scores } = result;
    if (!isRecord(categories) || !isRecord(scores)) {
      throw new BadResponseError(`expected objects at ${at}.categories and ${at}.category_scores`);
    }
    for (const [category, flag] of Object.entries(categories)) {
      if (typeof flag !== 'boolean') {
        throw new BadResponseError(`expected a boolean at ${at}.categories.${category}, got ${typeOf(flag)}`);
      }
      const score = toScore(scores[category], `${at}.category_scores.${category}`);
      if (threshold !== undefined ? score >= threshold : flag === true) {
        out.push(wholeTextDetection(name, `${name}.${ruleSegment(category)}`, score, text));
      }
    }
    if (result.flagged && threshold === undefined && !Object.values(categories).includes(true)) {
      out.push(wholeTextDetection(name, `${name}.flagged`, 1, text));
    }
  });
  return dedupe(out);
}

/** Several results may flag the same category: keep the highest score for each rule. */
function dedupe(detections: Detection[]): Detection[] {
  const best = new Map<string, Detection>();
  for (const d of detections) {
    const seen = best.get(d.rule);
    if (!seen || d.score > seen.score) best.set(d.rule, d);
  }
  return [...best.values()];
}

export { OPENAI_BASE_URL, OPENAI_MODERATION_MODEL };
