/**
 * The input and output guardrail stages. They run every configured detector over EVERY string a call carries
 * (arguments, nested objects and arrays included) and over every part of a result (text parts, embedded resource
 * text, and structuredContent), then apply each detector's action from the policy:
 * - `block`: deny the call (or the result), naming the rule, where it fired and a masked excerpt;
 * - `redact`: in arguments, replace the span with a typed placeholder (`[EMAIL_1]`) that the restore stage puts
 *   back in the result for the client, so the upstream never sees the value; in results, replace the span with
 *   `[REDACTED:<TYPE>]` (or `[REMOVED: suspected instruction]` for injection) and keep the rest;
 * - `warn`: let it pass and record the detection in the stage trail;
 * - `off`: the detector does not run.
 * A detector in `shadow` mode only records what it would have done. structuredContent is redacted string by string
 * with the same rules as the text that mirrors it, so the two stay consistent. Remote providers run after the local
 * detectors, with their own timeout; a provider that fails throws, and the runner turns that into a deny
 * (fail closed) unless the provider is configured fail-open. Failure mode of the stages: closed.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext, RequestStage, ResponseStage, Verdict } from '../pipeline/types.js';
import type { AsyncDetector, Detection, Detector, Where } from './types.js';
import { recordTaint } from '../pipeline/taint.js';
import {
  checkDeadline,
  DEFAULT_WALK_BUDGET,
  mapLeaves,
  mapStrings,
  stringLeaves,
  type StringLeaf,
  type WalkBudget,
} from '../util/json-strings.js';

export type GuardrailAction = 'block' | 'redact' | 'warn' | 'off';

export interface DetectorRule {
  detector: Detector;
  action: GuardrailAction;
  mode: 'enforce' | 'shadow';
}

export interface ProviderRule {
  provider: AsyncDetector;
  mode: 'enforce' | 'shadow';
}

export interface GuardrailOptions {
  rules: DetectorRule[];
  providers?: ProviderRule[];
  /**
   * Output only: remember in the session the secret and PII values (and the addresses inside flagged instructions)
   * that the result lets through unredacted, for the data-flow guard (policy/data-flow.ts).
   */
  recordTaint?: boolean;
  /**
   * How much of a message the stage may read: nesting depth, number of strings, and time for the walk and the
   * local detectors together. Past any of them the stage denies (`guard.budget-exceeded`). Default: 64 levels,
   * 100,000 strings, 5 s.
   */
  budget?: { maxDepth: number; maxStrings: number; maxScanMs: number };
}

const DEFAULT_SCAN_MS = 5_000;

/** The walk budget of one run of a stage: the policy's limits and a deadline from now. */
function budgetOf(opts: GuardrailOptions): WalkBudget {
  const b = opts.budget;
  return {
    maxDepth: b?.maxDepth ?? DEFAULT_WALK_BUDGET.maxDepth,
    maxStrings: b?.maxStrings ?? DEFAULT_WALK_BUDGET.maxStrings,
    deadline: performance.now() + (b?.maxScanMs ?? DEFAULT_SCAN_MS),
  };
}

interface Finding extends Detection {
  action: GuardrailAction;
  mode: 'enforce' | 'shadow';
  /** The index of the leaf it was found in: the redaction walk visits the strings in the same order. */
  leaf: number;
}

/** Detectors that also read the joined view of all argument strings: a secret split across two arguments. */
const JOINED_DETECTORS = new Set(['secrets']);

/** The clock is read before a leaf once this many leaves or characters were scanned since it was last read. */
const CLOCK_LEAVES = 32;
const CLOCK_CHARS = 16 * 1024;

function scanAll(opts: GuardrailOptions, leaves: ScanLeaf[], where: Where, budget: WalkBudget): Finding[] {
  const findings: Finding[] = [];
  for (const rule of opts.rules) {
    if (rule.action === 'off') continue;
    // Keys repeat (every row of a table has the same ones): each distinct key text is scanned once.
    const keys = new Map<string, Detection[]>();
    // Reading the clock per leaf cost as much as scanning a short one: it is read before the first leaf, then every
    // 32 leaves or 16K characters, and once after the last, so a scan that ran out of time still ends in a deny.
    let sinceLeaves = CLOCK_LEAVES;
    let sinceChars = 0;
    for (let index = 0; index < leaves.length; index++) {
      const leaf = leaves[index]!;
      const n = leaf.value.length;
      if (n === 0) continue;
      if (leaf.kind === 'joined' && !JOINED_DETECTORS.has(rule.detector.id)) continue;
      sinceChars += n;
      if (++sinceLeaves >= CLOCK_LEAVES || sinceChars >= CLOCK_CHARS) {
        checkDeadline(budget, leaf.path, 'the guardrail scan');
        sinceLeaves = 0;
        sinceChars = n;
      }
      let found: Detection[] | undefined;
      if (leaf.kind === 'key') {
        found = keys.get(leaf.value);
        if (!found) keys.set(leaf.value, (found = rule.detector.scan(leaf.value, where)));
      } else found = rule.detector.scan(leaf.value, where);
      for (const d of found) {
        if (leaf.kind === 'joined' && !leaf.spansPieces?.(d.start, d.end)) continue;
        findings.push({
          ...d,
          path: leaf.path,
          leaf: index,
          action: leaf.kind === 'joined' ? 'block' : rule.action,
          mode: rule.mode,
        });
      }
    }
    if (sinceLeaves > 0) checkDeadline(budget, leaves.at(-1)?.path ?? '', 'the guardrail scan');
  }
  return findings;
}

/**
 * The strings of a call's arguments, and (when there are several) all of their values joined in order with
 * nothing between them: a token split across two arguments is whole only there. A finding in the joined view that
 * lies inside one value was found in that value already; one that spans two values cannot be redacted in place,
 * so it blocks.
 */
function argumentLeaves(args: Record<string, unknown>, budget: WalkBudget): ScanLeaf[] {
  const leaves: ScanLeaf[] = stringLeaves(args, 'arguments', [], budget);
  const values = leaves.filter((l) => l.kind !== 'key');
  if (values.length < 2) return leaves;
  const ends: number[] = [];
  let at = 0;
  for (const v of values) ends.push((at += v.value.length));
  const spansPieces = (start = 0, end = 0) => {
    const piece = ends.findIndex((e) => e > start);
    return piece >= 0 && end > ends[piece]!;
  };
  leaves.push({ path: 'arguments{joined}', value: values.map((v) => v.value).join(''), kind: 'joined', spansPieces });
  return leaves;
}

type ScanLeaf = Omit<StringLeaf, 'kind'> & {
  kind?: StringLeaf['kind'] | 'joined';
  spansPieces?: (start?: number, end?: number) => boolean;
};

async function scanProviders(opts: GuardrailOptions, leaves: ScanLeaf[], where: Where, ctx: CallContext) {
  const findings: Finding[] = [];
  if (!opts.providers?.length) return findings;
  const text = leaves
    .filter((l) => l.kind !== 'joined')
    .map((l) => l.value)
    .join('\n');
  if (text.trim() === '') return findings;
  for (const p of opts.providers) {
    for (const d of await p.provider.scan(text, where, ctx.signal))
      findings.push({ ...d, action: 'block', mode: p.mode, leaf: -1 });
  }
  return findings;
}

/**
 * An injected instruction is never quoted back: the block message goes to the model, and quoting the attack
 * would deliver it. Other detectors' excerpts are already masked.
 */
function excerptOf(f: Detection): string {
  return f.detector === 'injection' ? `${(f.end ?? 0) - (f.start ?? 0)} chars withheld` : f.excerpt;
}

function describe(f: Finding): string {
  return `${f.rule} at ${f.path ?? '?'} (${excerptOf(f)})`;
}

function denyFor<T>(blocks: Finding[], what: string): Verdict<T> {
  const first = blocks[0]!;
  const more =
    blocks.length > 1 ? `; and ${blocks.length - 1} more: ${blocks.slice(1, 4).map(describe).join(', ')}` : '';
  return {
    action: 'deny',
    ruleId: first.rule,
    reason: `${what}: ${describe(first)}${more}`,
    detections: blocks.map(publicDetection),
  };
}

/** What leaves the gateway in _meta and logs: no raw values, just where and what. */
function publicDetection(f: Finding): Detection {
  const { action: _a, mode: _m, leaf: _l, ...d } = f;
  return { ...d, excerpt: excerptOf(f), rule: f.mode === 'shadow' ? `${f.rule} (shadow ${f.action})` : f.rule };
}

/** Applies the span replacements of `findings` to one string; overlapping spans merge, the widest wins. */
function redactString(s: string, findings: Finding[], placeholder: (f: Finding, original: string) => string): string {
  const spans = findings
    .filter((f) => f.start !== undefined && f.end !== undefined && f.end > f.start)
    .sort((a, b) => a.start! - b.start! || b.end! - a.end!);
  let out = '';
  let at = 0;
  for (const f of spans) {
    if (f.start! < at) continue;
    out += s.slice(at, f.start) + placeholder(f, s.slice(f.start, f.end));
    at = f.end!;
  }
  return out + s.slice(at);
}

function entityOf(f: Finding): string {
  return (f.entity ?? f.detector).toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function partition(findings: Finding[]) {
  const enforced = findings.filter((f) => f.mode === 'enforce');
  return {
    blocks: enforced.filter((f) => f.action === 'block'),
    redactions: enforced.filter((f) => f.action === 'redact'),
    recorded: findings.filter((f) => f.mode === 'shadow' || f.action === 'warn').map(publicDetection),
  };
}

/**
 * The shared decision of both stages: local detectors, then providers; the first block denies; otherwise the
 * redactions (applied by `redact`, which gets each path's findings) and the recorded detections.
 */
async function decide<T>(
  opts: GuardrailOptions,
  leaves: ScanLeaf[],
  budget: WalkBudget,
  where: 'input' | 'output',
  ctx: CallContext,
  what: { blocked: string; noun: string },
  redact: (findingsAt: (leaf: number) => Finding[] | undefined) => T,
): Promise<Verdict<T>> {
  const findings = scanAll(opts, leaves, where, budget);
  const { blocks, redactions, recorded } = partition(findings);
  if (blocks.length) return denyFor(blocks, what.blocked);
  if (opts.recordTaint) {
    const passed = findings.filter((f) => f.mode === 'shadow' || f.action === 'warn');
    if (passed.length) {
      const text = new Map(passed.map((f) => [f.path, leaves[f.leaf]!.value]));
      recordTaint(ctx.session, passed, { from: `${ctx.server}/${ctx.tool.name}`, text: (p) => text.get(p) });
    }
  }
  const remote = partition(await scanProviders(opts, leaves, where, ctx));
  if (remote.blocks.length) return denyFor(remote.blocks, `a guardrail provider flagged ${what.noun}`);
  recorded.push(...remote.recorded);
  if (redactions.length === 0) return recorded.length ? { action: 'allow', detections: recorded } : { action: 'allow' };
  const byLeaf = groupByLeaf(redactions);
  return {
    action: 'modify',
    value: redact((leaf) => byLeaf.get(leaf)),
    reason: `redacted ${redactions.map((f) => `${f.rule} at ${f.path}`).join(', ')}`,
    detections: [...redactions.map(publicDetection), ...recorded],
  };
}

const INPUT_WORDS = { blocked: 'the arguments carry what the policy blocks', noun: 'the arguments' };
const OUTPUT_WORDS = { blocked: 'the tool result carries what the policy blocks', noun: 'the tool result' };

export function createInputGuardrailStage(opts: GuardrailOptions): RequestStage {
  return {
    name: 'guardrails',
    slot: 'input-guardrail',
    check(call, ctx) {
      const budget = budgetOf(opts);
      const leaves = argumentLeaves(call.arguments, budget);
      return decide(opts, leaves, budget, 'input', ctx, INPUT_WORDS, (at) => {
        const args = mapLeaves(
          call.arguments,
          'arguments',
          (s, leaf) => {
            const fs = at(leaf);
            return fs ? redactString(s, fs, (f, original) => ctx.vault.placeholder(entityOf(f), original)) : s;
          },
          budget,
        ) as Record<string, unknown>;
        return { ...call, arguments: args };
      });
    },
  };
}

function groupByLeaf(findings: Finding[]): Map<number, Finding[]> {
  const m = new Map<number, Finding[]>();
  for (const f of findings) m.set(f.leaf, [...(m.get(f.leaf) ?? []), f]);
  return m;
}

/**
 * Every string of a result: each content part whole (text, annotations, `_meta`, a resource's uri and text, a
 * text blob decoded, a resource link's name, title and description), structuredContent with its keys, the result's
 * own `_meta`, and any other member an upstream added. Paths start at the member: `content[0].text`,
 * `structuredContent.rows[2]`, `_meta.note`. Binary payloads (an image's data) are left unread (json-strings.ts).
 */
export function resultLeaves(result: CallToolResult, budget: WalkBudget = budgetOf({ rules: [] })): StringLeaf[] {
  return stringLeaves(result, '', [], budget);
}

/** A copy of the result with `fn` applied to exactly the strings resultLeaves() reads. */
export function mapResultStrings(
  result: CallToolResult,
  fn: (path: string, s: string) => string,
  budget: WalkBudget = budgetOf({ rules: [] }),
): CallToolResult {
  return mapStrings(result, '', fn, budget) as CallToolResult;
}

export function createOutputGuardrailStage(opts: GuardrailOptions): ResponseStage {
  return {
    name: 'guardrails',
    slot: 'output-guardrail',
    check(result, ctx) {
      const budget = budgetOf(opts);
      return decide(
        opts,
        resultLeaves(result, budget),
        budget,
        'output',
        ctx,
        OUTPUT_WORDS,
        (at) =>
          mapLeaves(
            result,
            '',
            (s, leaf) => {
              const fs = at(leaf);
              return fs
                ? redactString(s, fs, (f) =>
                    f.detector === 'injection' ? '[REMOVED: suspected instruction]' : `[REDACTED:${entityOf(f)}]`,
                  )
                : s;
            },
            budget,
          ) as CallToolResult,
      );
    },
  };
}

/**
 * The last response stage: puts back the values that the input guardrail replaced with placeholders, in every
 * string the client reads, so "redact before tool execution, unredact in the final response" holds.
 */
export function createRestoreStage(): ResponseStage {
  return {
    name: 'restore',
    slot: 'output-guardrail',
    check(result, ctx) {
      const vault = ctx.vault;
      if (vault.size === 0) return { action: 'allow' };
      const value = mapLeaves(result, '', (s) => vault.restore(s)) as CallToolResult;
      return { action: 'modify', value, reason: `restored ${vault.size} redacted value(s) for the client` };
    },
  };
}
