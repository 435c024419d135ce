/**
 * Enkrypt AI Guardrails (`POST https://api.enkryptai.com/guardrails/detect`, header `apikey`). One call runs the
 * configured detectors over the whole text, in either phase (the endpoint has no input/output mode, so `where`
 * only keys the cache). Failure mode: closed, see client.ts.
 *
 * The API shape, and where it comes from:
 * - Request `{ text, detectors: { <detector>: { enabled, ...options } } }` with the detector names and options
 *   `injection_attack`, `pii.entities`, `toxicity`, `nsfw`, `keyword_detector.banned_keywords`,
 *   `policy_violation.{policy_text, need_explanation}`: docs.enkryptai.com/guardrails-api-reference/endpoint/detect
 *   and .../endpoint/batch-detect, which also send disabled detectors as `{ enabled: false }`, as we do.
 * - Response `{ summary, details }`: `summary.<detector>` is 0/1, except `toxicity`, a list of the sub-types that
 *   fired, and the keyword flag, which is spelt `keyword_detected`; `details.injection_attack.attack`,
 *   `details.nsfw.nsfw` and `details.toxicity.<sub-type>` hold 0..1 scores, the injection one as a string
 *   ("0.999354"); `details.pii.pii` maps placeholders such as `<EMAIL_ADDRESS_0>` to the values found
 *   (docs.enkryptai.com/guardrails-api-reference/Detect and .../endpoint/detect-using-policy). Enkrypt's own client
 *   reads the summary the same way: ints, lists, booleans, and the `keyword_detected` alias
 *   (enkryptai/secure-mcp-gateway, src/enkrypt_security/guardrails/parser.py).
 *
 * Assumptions where the docs are silent or disagree:
 * - The summary is the verdict; details only refine scores and PII entity kinds. Details shapes differ between
 *   endpoints (numbers, numeric strings, or prose such as "Injection Attack Detected"), so an unreadable detail
 *   falls back to score 1 instead of failing the scan.
 * - A summary entry may be missing for an enabled detector (the batch-detect example omits `policy_violation`), but
 *   a summary that mentions none of the enabled detectors, a missing summary, or a known entry of the wrong type is
 *   an unexpected body (fail closed). A 2xx body with a truthy `error` field is a failure, as in Enkrypt's client.
 * - An unknown summary key that is set (1, true, a non-empty list) is reported too; `on_topic` is skipped, since
 *   we never enable the topic detector and its flag is inverted.
 * - PII values are never read: only the placeholder names (`<EMAIL_ADDRESS_0>` → EMAIL_ADDRESS) become `entity`.
 */
import { ENKRYPT_DETECT_URL } from './schema.js';
import type { AsyncDetector, Detection } from '../types.js';
import { createRemoteDetector, wholeTextDetection, type ProviderHooks, type RemoteCallOptions } from './client.js';
import { BadResponseError, isRecord, ruleSegment, toScore, typeOf } from './json.js';

export interface EnkryptDetectorsConfig {
  injection_attack?: { enabled: boolean };
  pii?: { enabled: boolean; entities?: string[] };
  toxicity?: { enabled: boolean };
  nsfw?: { enabled: boolean };
  keyword_detector?: { enabled: boolean; banned_keywords?: string[] };
  policy_violation?: { enabled: boolean; policy_text?: string; need_explanation?: boolean };
}

export interface EnkryptProviderConfig extends RemoteCallOptions {
  /** Detector id and rule prefix. Default `enkrypt`. */
  name?: string;
  apiKey: string;
  /** Default ENKRYPT_DETECT_URL. */
  url?: string;
  detectors?: EnkryptDetectorsConfig;
}

/** On unless configured off: the detectors that need no options. Keywords and policy need the operator's input. */
export const ENKRYPT_DEFAULT_DETECTORS: Required<EnkryptDetectorsConfig> = {
  injection_attack: { enabled: true },
  pii: { enabled: true, entities: ['pii', 'secrets'] },
  toxicity: { enabled: true },
  nsfw: { enabled: true },
  keyword_detector: { enabled: false, banned_keywords: [] },
  policy_violation: { enabled: false, policy_text: '', need_explanation: false },
};

type DetectorName = keyof EnkryptDetectorsConfig;

/** Summary keys whose name differs from the detector's. */
const SUMMARY_ALIASES: Record<string, DetectorName> = { keyword_detected: 'keyword_detector' };
const KNOWN = new Set<string>(Object.keys(ENKRYPT_DEFAULT_DETECTORS));
const PLACEHOLDER = /^<([A-Za-z][A-Za-z_]*?)_\d+>$/;

export function createEnkryptProvider(cfg: EnkryptProviderConfig, hooks?: ProviderHooks): AsyncDetector {
  const name = cfg.name ?? 'enkrypt';
  const detectors = Object.fromEntries(
    (Object.keys(ENKRYPT_DEFAULT_DETECTORS) as DetectorName[]).map((k) => [
      k,
      { ...ENKRYPT_DEFAULT_DETECTORS[k], ...cfg.detectors?.[k] },
    ]),
  ) as Required<EnkryptDetectorsConfig>;
  const enabled = (Object.keys(detectors) as DetectorName[]).filter((k) => detectors[k].enabled);

  return createRemoteDetector(
    {
      name,
      url: cfg.url ?? ENKRYPT_DETECT_URL,
      headers: { apikey: cfg.apiKey },
      options: cfg,
      body: (text) => ({ text, detectors }),
      parse: (json, text) => parseDetect(json, text, name, enabled),
    },
    hooks,
  );
}

function parseDetect(json: unknown, text: string, name: string, enabled: readonly DetectorName[]): Detection[] {
  if (!isRecord(json)) throw new BadResponseError(`expected an object, got ${typeOf(json)}`);
  if (json.error !== undefined && json.error !== null && json.error !== false && json.error !== '') {
    throw new BadResponseError('the provider reported an error');
  }
  const { summary } = json;
  const details = isRecord(json.details) ? json.details : {};
  if (!isRecord(summary)) throw new BadResponseError(`expected an object at summary, got ${typeOf(summary)}`);
  const seen = Object.keys(summary).map((k) => SUMMARY_ALIASES[k] ?? k);
  if (enabled.length > 0 && !enabled.some((d) => seen.includes(d))) {
    throw new BadResponseError('the summary names none of the enabled detectors');
  }

  const out: Detection[] = [];
  const add = (rule: string, score: number, entity?: string) =>
    out.push(wholeTextDetection(name, `${name}.${rule}`, score, text, entity));

  for (const [key, value] of Object.entries(summary)) {
    if (key === 'on_topic') continue;
    const detector = SUMMARY_ALIASES[key] ?? key;
    const detail = details[detector] ?? details[key];
    if (detector === 'toxicity' && Array.isArray(value)) {
      for (const sub of value) {
        if (typeof sub !== 'string') throw new BadResponseError(`expected sub-type names at summary.${key}`);
        add(`toxicity.${ruleSegment(sub)}`, scoreAt(detail, sub) ?? 1);
      }
      continue;
    }
    if (!fired(value, key, KNOWN.has(detector))) continue;
    if (detector === 'pii') {
      const kinds = piiKinds(detail);
      if (kinds.length === 0) add('pii', 1);
      for (const kind of kinds) add('pii', 1, kind);
    } else {
      add(ruleSegment(detector), detectorScore(detector, detail) ?? 1);
    }
  }
  return out;
}

/** 0/1 (or a count), or a boolean. A known detector with any other type is an unexpected body. */
function fired(value: unknown, key: string, known: boolean): boolean {
  if (typeof value === 'number') return value >= 1;
  if (typeof value === 'boolean') return value;
  if (!known) return Array.isArray(value) && value.length > 0;
  throw new BadResponseError(`expected 0 or 1 at summary.${key}, got ${typeOf(value)}`);
}

function detectorScore(detector: string, detail: unknown): number | undefined {
  switch (detector) {
    case 'injection_attack':
      return scoreAt(detail, 'attack');
    case 'nsfw':
      return scoreAt(detail, 'nsfw');
    case 'toxicity': {
      // A 0/1 toxicity flag instead of the usual list: the worst sub-type score stands for it.
      if (!isRecord(detail)) return undefined;
      const scores = Object.keys(detail)
        .map((k) => scoreAt(detail, k))
        .filter((s) => s !== undefined);
      return scores.length > 0 ? Math.max(...scores) : undefined;
    }
    default:
      return undefined;
  }
}

function scoreAt(detail: unknown, key: string): number | undefined {
  if (!isRecord(detail) || !Object.hasOwn(detail, key)) return undefined;
  try {
    return toScore(detail[key], key);
  } catch {
    return undefined;
  }
}

/** Entity kinds from placeholder names (`<EMAIL_ADDRESS_0>`), or the group (`secrets`) when keys are not those. */
function piiKinds(detail: unknown): string[] {
  if (!isRecord(detail)) return [];
  const kinds = new Set<string>();
  for (const [group, found] of Object.entries(detail)) {
    if (!isRecord(found)) continue;
    for (const key of Object.keys(found)) {
      const kind = PLACEHOLDER.exec(key)?.[1] ?? group;
      kinds.add(ruleSegment(kind).toUpperCase());
    }
  }
  return [...kinds];
}

export { ENKRYPT_DETECT_URL };
