/**
 * A generic remote guardrail: any HTTP API that takes the text as JSON and answers with a verdict somewhere in a
 * JSON body. It POSTs `{ where, ...extra, [textField]: text }` (extra may not replace the text) and reads the
 * verdict through dotted paths (`result.flagged`, `data.0.score`). It judges the whole text, so its detections
 * carry no offsets: rule `<name>.flagged`, or `<name>.<label>` for each label the API names. Input and output
 * phases alike (`where` is sent along). Failure mode: closed, see client.ts.
 *
 * Reading the verdict:
 * - `flaggedPath` must hold a boolean, or a number (non-zero is flagged).
 * - `scorePath`, when given, must hold a 0..1 number (or a numeric string); without it a flagged text scores 1.
 * - `threshold`, with `scorePath`, decides instead of the API's own flag: flagged when score >= threshold.
 * - `labelsPath`, when given, must hold an array of strings or an object of label → boolean (true ones count).
 * A missing path or a value of another type is an unexpected body, which fails closed.
 */
import type { AsyncDetector, Detection } from '../types.js';
import { createRemoteDetector, wholeTextDetection, type ProviderHooks, type RemoteCallOptions } from './client.js';
import { BadResponseError, getPath, ruleSegment, toScore, typeOf } from './json.js';

export interface HttpProviderConfig extends RemoteCallOptions {
  name: string;
  url: string;
  headers?: Record<string, string>;
  request?: { textField?: string; extra?: Record<string, unknown> };
  response: { flaggedPath: string; scorePath?: string; labelsPath?: string; threshold?: number };
}

export function createHttpProvider(cfg: HttpProviderConfig, hooks?: ProviderHooks): AsyncDetector {
  const textField = cfg.request?.textField ?? 'text';
  const extra = cfg.request?.extra ?? {};
  const { flaggedPath, scorePath, labelsPath, threshold } = cfg.response;
  return createRemoteDetector(
    {
      name: cfg.name,
      url: cfg.url,
      headers: cfg.headers ?? {},
      options: cfg,
      body: (text, where) => ({ where, ...extra, [textField]: text }),
      parse(json, text): Detection[] {
        const flagValue = getPath(json, flaggedPath);
        if (typeof flagValue !== 'boolean' && typeof flagValue !== 'number') {
          throw new BadResponseError(`expected a boolean at ${flaggedPath}, got ${typeOf(flagValue)}`);
        }
        const score = scorePath === undefined ? undefined : toScore(getPath(json, scorePath), scorePath);
        const labels = labelsPath === undefined ? [] : readLabels(getPath(json, labelsPath), labelsPath);
        const apiSays = typeof flagValue === 'boolean' ? flagValue : flagValue !== 0;
        const flagged = threshold !== undefined && score !== undefined ? score >= threshold : apiSays;
        if (!flagged) return [];
        const rules = labels.length > 0 ? labels.map(ruleSegment) : ['flagged'];
        return [...new Set(rules)].map((rule) => wholeTextDetection(cfg.name, `${cfg.name}.${rule}`, score ?? 1, text));
      },
    },
    hooks,
  );
}

function readLabels(value: unknown, path: string): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.every(([, v]) => typeof v === 'boolean')) return entries.filter(([, v]) => v).map(([k]) => k);
  }
  throw new BadResponseError(
    `expected an array of labels or an object of label flags at ${path}, got ${typeOf(value)}`,
  );
}
