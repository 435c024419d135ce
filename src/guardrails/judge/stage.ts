/**
 * The judge stages (issue 10): a language model behind an OpenAI-compatible endpoint judges what rules and
 * heuristics cannot.
 * - Input slot, after the input guardrails (so the judge sees arguments with PII already replaced by placeholders):
 *   the policy check (do the arguments break a numbered rule of the policy documents?) and the injection second
 *   opinion.
 * - Output slot, after the output guardrails and before the restore of input placeholders (so the judge never sees
 *   restored PII): the policy check, relevancy (does the result answer the call?), adherence (does it do what the
 *   tool says, and nothing else?), grounding (are its claims supported by the context the call carried?) and the
 *   injection second opinion. The checks of one stage run concurrently.
 * Each check has its own tool globs, threshold and action (block or warn). A long text is judged in chunks that fit
 * the endpoint's prompt bound; the worst chunk decides (for relevancy the best one: a long result answers the call
 * if any part of it does, and unrelated parts are adherence's business). Verdicts are cached and every request to
 * the model spends the caller's per-minute budget. The injection second opinion asks the model only when the local
 * detector's score falls in the grey band [from, to): below it the text is clean, above it the local guardrail
 * decides alone.
 *
 * Every verdict (pass, fail or error), its rule and the model's latency go in the stage's detections, so the trail
 * and the audit log carry them; a passed result also carries the scores in `_meta["secure-mcp-gateway/judge"]`.
 *
 * Failure mode: per policy, `closed` by default. A judge that times out, fails, answers something that is not the
 * verdict's JSON shape, names a rule the documents do not have, or is over budget blocks the call with rule
 * `judge.<check>.error`; with `failureMode: "open"` the call passes and the error is recorded. A cancelled call
 * always rejects.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext, Detection, RequestStage, ResponseStage, Verdict } from '../../pipeline/types.js';
import { createNameMatcher } from '../../policy/glob.js';
import { stringLeaves } from '../../util/json-strings.js';
import { createInjectionDetector } from '../injection.js';
import { createJudgeBudget, type JudgeBudget } from './budget.js';
import { JudgeFailure } from './client.js';
import type { PolicyJudge } from './config-schema.js';
import type { PolicyRule } from './documents.js';
import {
  CHECK_ORDER,
  VERDICT_SCHEMAS,
  block,
  rulesText,
  systemPrompt,
  toolText,
  truncate,
  userMessages,
  type JudgeCheck,
  type PromptParts,
  type Verdicts,
} from './prompts.js';
import type { JudgeRuntime } from './runtime.js';

export const JUDGE_META_KEY = 'secure-mcp-gateway/judge';

export interface JudgeStageOptions {
  runtime: JudgeRuntime;
  config: PolicyJudge;
  /** The endpoint under "judges" this policy asks. */
  judge: string;
  /** The policy's local injection threshold: the default upper edge of the grey band. */
  injectionThreshold: number;
}

/** One check's verdict as the trail, the audit log and `_meta` carry it. */
export interface JudgeRecord {
  check: JudgeCheck;
  verdict: 'pass' | 'fail' | 'error';
  action: 'block' | 'warn';
  /** policy, injection: the judge's confidence in a violation; the others: the quality score (1 is good). */
  score?: number;
  threshold?: number;
  /** The broken rule of the policy documents. */
  rule?: string;
  reason: string;
  judge: string;
  model: string;
  /** The slowest request to the model for this check (they run concurrently); 0 when every chunk was cached. */
  latencyMs: number;
  cached: boolean;
  chunks: number;
  /** injection only: the local detector's score that put the text in the grey band. */
  localScore?: number;
}

export interface JudgeDetection extends Detection {
  judge: JudgeRecord;
}

interface Env {
  opts: JudgeStageOptions;
  budget: JudgeBudget;
  ctx: CallContext;
}

interface Asked<K extends JudgeCheck> {
  verdicts: Verdicts[K][];
  latencyMs: number;
  cached: boolean;
}

/** Asks the model one question per chunk, concurrently: cache first, then the budget, then the endpoint. */
async function ask<K extends JudgeCheck>(
  env: Env,
  check: K,
  parts: PromptParts,
  text: string,
  version: string,
): Promise<Asked<K>> {
  const { client, cache } = env.opts.runtime.judge(env.opts.judge);
  const system = systemPrompt(check);
  let users: string[];
  try {
    // The bound covers the whole prompt: the system message too.
    users = userMessages(parts, text, client.endpoint.maxPromptChars, system.length);
  } catch (error) {
    throw new JudgeFailure('bad-response', (error as Error).message);
  }
  const schema = VERDICT_SCHEMAS[check];
  let latencyMs = 0;
  let cached = true;
  const verdicts = await Promise.all(
    users.map(async (user) => {
      const key = cache.key([check, version, client.endpoint.baseUrl, client.model, system, user]);
      const hit = cache.get(key);
      if (hit) return hit as Verdicts[K];
      cached = false;
      if (!env.budget.take(env.ctx.identity))
        throw new JudgeFailure(
          'budget',
          `the judge budget of ${env.opts.config.callsPerMinute} requests per minute for ${env.ctx.identity} is spent`,
        );
      const answer = await client.complete(
        [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
        env.ctx.signal,
      );
      latencyMs = Math.max(latencyMs, answer.latencyMs);
      const parsed = schema.safeParse(answer.json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new JudgeFailure(
          'bad-response',
          `the verdict is not in the expected shape (at ${issue.path.join('.') || 'the top'}: ${issue.message})`,
        );
      }
      cache.set(key, parsed.data);
      return parsed.data as Verdicts[K];
    }),
  );
  return { verdicts, latencyMs, cached };
}

function base(env: Env, check: JudgeCheck, action: 'block' | 'warn', asked: Asked<JudgeCheck>) {
  const { client } = env.opts.runtime.judge(env.opts.judge);
  return {
    check,
    action,
    judge: client.name,
    model: client.model,
    latencyMs: asked.latencyMs,
    cached: asked.cached,
    chunks: asked.verdicts.length,
  };
}

const short = (s: string) => truncate(s.replace(/\s+/g, ' ').trim(), 300);

/** The policy check: the most confident violation of any chunk; it must name a rule the documents have. */
async function policyCheck(env: Env, what: 'arguments' | 'result', text: string, tool: string): Promise<JudgeRecord> {
  const cfg = env.opts.config.policy!;
  const rules = await env.opts.runtime.rules();
  const parts: PromptParts = {
    fixed: `Organisational rules:\n${rulesText(rules.rules)}\n\n${tool}`,
    label: what === 'arguments' ? 'ARGUMENTS' : 'RESULT',
    question: `Does this tool ${what === 'arguments' ? 'call (its arguments)' : 'result'} break one of the rules above? Answer in the JSON shape given.`,
  };
  const asked = await ask(env, 'policy', parts, text, rules.version);
  const byId = new Map(rules.rules.map((r) => [r.id, r]));
  let worst: { confidence: number; rule: PolicyRule; reason: string } | undefined;
  for (const v of asked.verdicts) {
    if (!v.violation) continue;
    const rule = v.rule === null ? undefined : byId.get(v.rule.replace(/^\[|\]$/g, '').trim());
    if (!rule)
      throw new JudgeFailure(
        'bad-response',
        `the verdict reports a violation of ${v.rule === null ? 'no rule' : `rule "${truncate(v.rule, 40)}"`}, which is not a rule of the policy documents`,
      );
    if (!worst || v.confidence > worst.confidence) worst = { confidence: v.confidence, rule, reason: v.reason };
  }
  const common = { ...base(env, 'policy', cfg.action, asked), threshold: cfg.threshold };
  if (!worst) return { ...common, verdict: 'pass', score: 0, reason: short(asked.verdicts[0]!.reason) };
  return {
    ...common,
    verdict: worst.confidence >= cfg.threshold ? 'fail' : 'pass',
    score: worst.confidence,
    rule: worst.rule.id,
    reason: `rule ${worst.rule.id} "${truncate(worst.rule.text, 200)}": ${short(worst.reason)}`,
  };
}

/** relevancy, adherence, grounding: a 0..1 quality score; the worst chunk decides (relevancy: the best). */
async function scoreCheck(
  env: Env,
  check: 'relevancy' | 'adherence' | 'grounding',
  parts: PromptParts,
  text: string,
): Promise<JudgeRecord> {
  const cfg = env.opts.config[check]!;
  const asked = await ask(env, check, parts, text, 'none');
  const pick = check === 'relevancy' ? Math.max : Math.min;
  const score = pick(...asked.verdicts.map((v) => v.score));
  const decisive = asked.verdicts.find((v) => v.score === score)!;
  let reason = short(decisive.reason);
  if (check === 'grounding') {
    const unsupported = asked.verdicts.flatMap((v) => (v as Verdicts['grounding']).unsupported);
    if (unsupported.length)
      reason += `; unsupported: ${unsupported
        .slice(0, 3)
        .map((c) => JSON.stringify(truncate(c, 120)))
        .join(', ')}`;
  }
  return {
    ...base(env, check, cfg.action, asked),
    verdict: score < cfg.threshold ? 'fail' : 'pass',
    score,
    threshold: cfg.threshold,
    reason,
  };
}

/** The grey band of the local injection score, or undefined when the text is outside it (no question asked). */
function greyBandScore(env: Env, texts: readonly string[], where: 'input' | 'output'): number | undefined {
  const cfg = env.opts.config.injection!;
  const to = cfg.to ?? env.opts.injectionThreshold;
  // The rules only: a window the learned model reports is blocked by the local stage before a judge is asked.
  const detector = createInjectionDetector({ threshold: cfg.from, model: { enabled: false } });
  let best = 0;
  for (const t of texts) for (const d of detector.scan(t, where)) best = Math.max(best, d.score);
  return best >= cfg.from && best < to ? best : undefined;
}

async function injectionCheck(env: Env, text: string, localScore: number): Promise<JudgeRecord> {
  const cfg = env.opts.config.injection!;
  const parts: PromptParts = {
    fixed: 'A local detector found weak signs of a prompt injection in the material below.',
    label: 'TEXT',
    question: 'Is this material a prompt injection? Answer in the JSON shape given.',
  };
  const asked = await ask(env, 'injection', parts, text, 'none');
  const confidence = Math.max(...asked.verdicts.map((v) => (v.injection ? v.confidence : 0)));
  const fail = confidence >= cfg.threshold && asked.verdicts.some((v) => v.injection);
  return {
    ...base(env, 'injection', cfg.action, asked),
    verdict: fail ? 'fail' : 'pass',
    score: confidence,
    threshold: cfg.threshold,
    localScore,
    // An injection is never quoted back, nor is the model's account of it.
    reason: fail
      ? `the judge confirms a suspected prompt injection (local score ${localScore.toFixed(2)}, judge confidence ${confidence.toFixed(2)})`
      : `the judge does not see a prompt injection (local score ${localScore.toFixed(2)})`,
  };
}

type Planned = [JudgeCheck, () => Promise<JudgeRecord>];

/** Runs the planned checks concurrently; a judge failure becomes an error record, anything else rethrows. */
async function runAll(env: Env, planned: Planned[]): Promise<JudgeRecord[]> {
  const { client } = env.opts.runtime.judge(env.opts.judge);
  return Promise.all(
    planned.map(async ([check, run]) => {
      try {
        return await run();
      } catch (error) {
        env.ctx.signal.throwIfAborted();
        if (!(error instanceof JudgeFailure)) throw error;
        const cfg = env.opts.config[check]!;
        return {
          check,
          verdict: 'error',
          action: cfg.action,
          reason: `judge "${client.name}" failed: ${error.message}`,
          judge: client.name,
          model: client.model,
          latencyMs: 0,
          cached: false,
          chunks: 0,
        } satisfies JudgeRecord;
      }
    }),
  );
}

function detectionOf(r: JudgeRecord): JudgeDetection {
  const rule =
    r.verdict === 'error'
      ? `judge.${r.check}.error`
      : r.check === 'policy' && r.rule
        ? `judge.policy.${r.rule}`
        : `judge.${r.check}`;
  const strength = r.score === undefined ? 0 : r.check === 'policy' || r.check === 'injection' ? r.score : 1 - r.score;
  return { detector: 'judge', rule, score: strength, excerpt: `${r.verdict}: ${r.reason}`, judge: r };
}

const CHECK_WORDS: Record<JudgeCheck, string> = {
  policy: 'a rule of the policy documents',
  injection: 'prompt injection',
  grounding: 'grounding in the context the call carried',
  adherence: 'adherence to the tool’s description',
  relevancy: 'relevancy to the call',
};

function denyReason(r: JudgeRecord, what: string): string {
  if (r.verdict === 'error')
    return `${r.reason}; the policy fails closed, so ${what} is blocked (failureMode "open" would let it pass)`;
  if (r.check === 'policy')
    return `the judge (${r.judge}, ${r.model}) found that ${what} breaks ${r.reason} (confidence ${r.score!.toFixed(2)})`;
  if (r.check === 'injection') return `${r.reason}, in ${what}`;
  return `the judge (${r.judge}, ${r.model}) scored the ${CHECK_WORDS[r.check]} of ${what} ${r.score!.toFixed(2)}, below the threshold ${r.threshold}: ${r.reason}`;
}

/**
 * The shared decision: a failed `block` check denies, else (fail closed) a check that could not be judged; the rest
 * is recorded. A verdict the judge did give names the block before an error does: it says more.
 */
function decide<T>(env: Env, records: JudgeRecord[], what: string): Verdict<T> | undefined {
  if (records.length === 0) return undefined;
  const sorted = [...records].sort((a, b) => CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check));
  const detections = sorted.map(detectionOf);
  const blocking =
    sorted.find((r) => r.verdict === 'fail' && r.action === 'block') ??
    (env.opts.config.failureMode === 'closed' ? sorted.find((r) => r.verdict === 'error') : undefined);
  for (const r of sorted)
    if (r !== blocking && (r.verdict === 'error' || (r.verdict === 'fail' && r.action === 'warn')))
      env.ctx.log.warn(
        { check: r.check, verdict: r.verdict, rule: r.rule, score: r.score, judge: r.judge },
        r.verdict === 'error' ? `judge failed open: ${r.reason}` : `judge flagged ${what} (warn): ${r.reason}`,
      );
  if (blocking)
    return {
      action: 'deny',
      ruleId: detectionOf(blocking).rule,
      reason: denyReason(blocking, what),
      detections,
    };
  return { action: 'allow', detections };
}

function matcher(globs: readonly string[] | undefined) {
  return createNameMatcher(globs ?? ['*']);
}

interface Matchers {
  policy: (n: string) => boolean;
  injection: (n: string) => boolean;
  grounding: (n: string) => boolean;
  adherence: (n: string) => boolean;
  relevancy: (n: string) => boolean;
}

function matchers(cfg: PolicyJudge): Matchers {
  return {
    policy: matcher(cfg.policy?.tools),
    injection: matcher(cfg.injection?.tools),
    grounding: matcher(cfg.grounding?.tools),
    adherence: matcher(cfg.adherence?.tools),
    relevancy: matcher(cfg.relevancy?.tools),
  };
}

/** The strings of a result the judge reads, and the embedded resources (the grounding context it may carry). */
export function resultMaterial(result: CallToolResult): { texts: string[]; resources: string[] } {
  const texts: string[] = [];
  const resources: string[] = [];
  for (const c of result.content ?? []) {
    if (c.type === 'text') texts.push(c.text);
    else if (c.type === 'resource' && 'text' in c.resource && typeof c.resource.text === 'string')
      resources.push(`[resource ${c.resource.uri}]\n${c.resource.text}`);
    else if (c.type === 'resource_link') texts.push(`[link ${c.uri}] ${c.description ?? ''}`);
  }
  // structuredContent usually mirrors the text parts; it is judged only when there are none.
  if (texts.length === 0 && result.structuredContent !== undefined)
    texts.push(JSON.stringify(result.structuredContent));
  return { texts, resources };
}

/** The input judge's verdicts, so the output stage can put them in the result's `_meta` too. */
/** Where the input judge leaves its records for the output stage's `_meta` (per-call state on the context). */
const INPUT_RECORDS = Symbol('judge.input-records');

export interface JudgeStages {
  input?: RequestStage;
  output?: ResponseStage;
}

/** The input and output judge stages of one policy; they share its per-identity budget. */
export function createJudgeStages(opts: JudgeStageOptions): JudgeStages {
  const cfg = opts.config;
  const budget = createJudgeBudget(cfg.callsPerMinute);
  const m = matchers(cfg);
  const failureMode = cfg.failureMode;
  const stages: JudgeStages = {};

  if (cfg.policy?.input || cfg.injection?.input)
    stages.input = {
      name: 'judge',
      slot: 'input-guardrail',
      failureMode,
      async check(call, ctx) {
        const env: Env = { opts, budget, ctx };
        const name = `${call.server}__${call.tool}`;
        const leaves = stringLeaves(call.arguments, 'arguments').map((l) => l.value);
        const text = JSON.stringify(call.arguments);
        const tool = toolText(name, ctx.tool.description);
        const planned: Planned[] = [];
        // A call without a single string argument carries nothing a rule could be about.
        if (cfg.policy?.input && m.policy(name) && leaves.some((l) => l.trim() !== ''))
          planned.push(['policy', () => policyCheck(env, 'arguments', text, tool)]);
        if (cfg.injection?.input && m.injection(name)) {
          const local = greyBandScore(env, leaves, 'input');
          if (local !== undefined) planned.push(['injection', () => injectionCheck(env, text, local)]);
        }
        const records = await runAll(env, planned);
        if (records.length) ctx.notes.set(INPUT_RECORDS, records);
        return decide(env, records, 'the call') ?? { action: 'allow' };
      },
    };

  // With input checks only, the output stage still runs: it puts their verdicts in the result's _meta.
  if (stages.input || cfg.policy?.output || cfg.relevancy || cfg.adherence || cfg.grounding || cfg.injection?.output)
    stages.output = {
      name: 'judge',
      slot: 'output-guardrail',
      failureMode,
      async check(result, ctx) {
        const env: Env = { opts, budget, ctx };
        const name = `${ctx.server}__${ctx.tool.name}`;
        const { texts, resources } = resultMaterial(result);
        const own = texts.join('\n');
        const all = [...texts, ...resources].join('\n');
        const judged = all.trim() !== '';
        // An error result is not an answer: relevancy, adherence and grounding do not apply; the rules still do.
        const answer = judged && result.isError !== true;
        // The call as the upstream saw it: values the input guardrails replaced stay placeholders for the judge.
        const args = ctx.vault.conceal(JSON.stringify(ctx.arguments));
        const tool = toolText(name, ctx.tool.description, ctx.tool.outputSchema);
        const planned: Planned[] = [];
        if (judged && cfg.policy?.output && m.policy(name))
          planned.push(['policy', () => policyCheck(env, 'result', all, tool)]);
        if (answer && cfg.relevancy && m.relevancy(name))
          planned.push([
            'relevancy',
            () =>
              scoreCheck(
                env,
                'relevancy',
                {
                  fixed: `${tool}\n\nThe call's arguments:\n${block('CALL', truncate(args, 2000))}`,
                  label: 'RESULT',
                  question: 'How well does this result answer the call above? Answer in the JSON shape given.',
                },
                all,
              ),
          ]);
        if (answer && cfg.adherence && m.adherence(name))
          planned.push([
            'adherence',
            () =>
              scoreCheck(
                env,
                'adherence',
                {
                  fixed: tool,
                  label: 'RESULT',
                  question: 'How well does this result adhere to the tool above? Answer in the JSON shape given.',
                },
                all,
              ),
          ]);
        if (answer && cfg.grounding && m.grounding(name)) {
          const context = [
            ...cfg.grounding.contextArguments
              .filter((k) => ctx.arguments[k] !== undefined)
              .map((k) => {
                const v = ctx.arguments[k];
                return ctx.vault.conceal(typeof v === 'string' ? v : JSON.stringify(v));
              }),
            ...resources,
          ].join('\n\n');
          // A call that carries no context has nothing to be grounded in: the check does not apply.
          if (context.trim() !== '' && own.trim() !== '') {
            const { client } = opts.runtime.judge(opts.judge);
            const room = Math.floor(client.endpoint.maxPromptChars / 2);
            planned.push([
              'grounding',
              () =>
                scoreCheck(
                  env,
                  'grounding',
                  {
                    fixed: `${tool}\n\nThe context the call carried:\n${block('CONTEXT', truncate(context, room))}`,
                    label: 'RESULT',
                    question:
                      'Is every claim in this result supported by the context above? Answer in the JSON shape given.',
                  },
                  own,
                ),
            ]);
          }
        }
        if (judged && cfg.injection?.output && m.injection(name)) {
          const local = greyBandScore(env, [...texts, ...resources], 'output');
          if (local !== undefined) planned.push(['injection', () => injectionCheck(env, all, local)]);
        }
        const records = await runAll(env, planned);
        const before = ctx.notes.get(INPUT_RECORDS) as JudgeRecord[] | undefined;
        const verdict = decide<ToolResultT>(env, records, 'the tool result');
        if (!verdict && !before) return { action: 'allow' };
        if (verdict?.action === 'deny') return verdict;
        const scores = { ...metaOf(records), ...(before ? { input: metaOf(before) } : {}) };
        const meta = { ...(result._meta ?? {}), [JUDGE_META_KEY]: scores };
        return {
          action: 'modify',
          value: { ...result, _meta: meta },
          reason: `judge scores attached (${[...(before ?? []), ...records].map((r) => `${r.check} ${r.verdict}`).join(', ')})`,
          detections: verdict?.detections ?? [],
        };
      },
    };
  return stages;
}

type ToolResultT = CallToolResult;

/** What `_meta["secure-mcp-gateway/judge"]` carries: per check, the verdict and score, no model text. */
function metaOf(records: JudgeRecord[]) {
  return Object.fromEntries(
    records.map((r) => [
      r.check,
      {
        verdict: r.verdict,
        action: r.action,
        ...(r.score === undefined ? {} : { score: r.score }),
        ...(r.threshold === undefined ? {} : { threshold: r.threshold }),
        ...(r.rule === undefined ? {} : { rule: r.rule }),
        ...(r.verdict === 'error' ? { error: r.reason } : {}),
        judge: r.judge,
        model: r.model,
        latencyMs: Math.round(r.latencyMs * 10) / 10,
        cached: r.cached,
      },
    ]),
  );
}
