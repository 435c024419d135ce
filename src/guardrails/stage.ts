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
import { recordTaint } from '../policy/data-flow.js';
import { mapStrings, stringLeaves, type StringLeaf } from '../util/json-strings.js';

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
}

interface Finding extends Detection {
  action: GuardrailAction;
  mode: 'enforce' | 'shadow';
}

function scanAll(opts: GuardrailOptions, leaves: StringLeaf[], where: Where): Finding[] {
  const findings: Finding[] = [];
  for (const rule of opts.rules) {
    if (rule.action === 'off') continue;
    for (const leaf of leaves) {
      if (leaf.value.length === 0) continue;
      for (const d of rule.detector.scan(leaf.value, where))
        findings.push({ ...d, path: leaf.path, action: rule.action, mode: rule.mode });
    }
  }
  return findings;
}

async function scanProviders(opts: GuardrailOptions, leaves: StringLeaf[], where: Where, ctx: CallContext) {
  const findings: Finding[] = [];
  if (!opts.providers?.length) return findings;
  const text = leaves.map((l) => l.value).join('\n');
  if (text.trim() === '') return findings;
  for (const p of opts.providers) {
    for (const d of await p.provider.scan(text, where, ctx.signal))
      findings.push({ ...d, action: 'block', mode: p.mode });
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
  const { action: _a, mode: _m, ...d } = f;
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

/** Per-call store of input placeholders, so the restore stage can put the originals back for the client. */
export class RedactionVault {
  private readonly byPlaceholder = new Map<string, string>();
  private readonly byValue = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  placeholder(entity: string, original: string): string {
    const known = this.byValue.get(`${entity}\u0000${original}`);
    if (known) return known;
    const n = (this.counters.get(entity) ?? 0) + 1;
    this.counters.set(entity, n);
    const p = `[${entity}_${n}]`;
    this.byPlaceholder.set(p, original);
    this.byValue.set(`${entity}\u0000${original}`, p);
    return p;
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The reverse of restore: each original value back to its placeholder (for a judge that must not see it). */
  conceal(s: string): string {
    let out = s;
    for (const [p, original] of this.byPlaceholder) if (out.includes(original)) out = out.split(original).join(p);
    return out;
  }

  restore(s: string): string {
    if (this.byPlaceholder.size === 0 || !s.includes('[')) return s;
    return s.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (p) => this.byPlaceholder.get(p) ?? p);
  }
}

const VAULTS = new WeakMap<CallContext, RedactionVault>();

export function vaultFor(ctx: CallContext): RedactionVault {
  let v = VAULTS.get(ctx);
  if (!v) VAULTS.set(ctx, (v = new RedactionVault()));
  return v;
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
  leaves: StringLeaf[],
  where: 'input' | 'output',
  ctx: CallContext,
  what: { blocked: string; noun: string },
  redact: (findingsAt: (path: string) => Finding[] | undefined) => T,
): Promise<Verdict<T>> {
  const findings = scanAll(opts, leaves, where);
  const { blocks, redactions, recorded } = partition(findings);
  if (blocks.length) return denyFor(blocks, what.blocked);
  if (opts.recordTaint) {
    const passed = findings.filter((f) => f.mode === 'shadow' || f.action === 'warn');
    if (passed.length) {
      const text = new Map(leaves.map((l) => [l.path, l.value]));
      recordTaint(ctx.session, passed, { from: `${ctx.server}/${ctx.tool.name}`, text: (p) => text.get(p) });
    }
  }
  const remote = partition(await scanProviders(opts, leaves, where, ctx));
  if (remote.blocks.length) return denyFor(remote.blocks, `a guardrail provider flagged ${what.noun}`);
  recorded.push(...remote.recorded);
  if (redactions.length === 0) return recorded.length ? { action: 'allow', detections: recorded } : { action: 'allow' };
  const byPath = groupByPath(redactions);
  return {
    action: 'modify',
    value: redact((path) => byPath.get(path)),
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
      return decide(opts, stringLeaves(call.arguments, 'arguments'), 'input', ctx, INPUT_WORDS, (at) => {
        const vault = vaultFor(ctx);
        const args = mapStrings(call.arguments, 'arguments', (path, s) => {
          const fs = at(path);
          return fs ? redactString(s, fs, (f, original) => vault.placeholder(entityOf(f), original)) : s;
        }) as Record<string, unknown>;
        return { ...call, arguments: args };
      });
    },
  };
}

function groupByPath(findings: Finding[]): Map<string, Finding[]> {
  const m = new Map<string, Finding[]>();
  for (const f of findings) m.set(f.path!, [...(m.get(f.path!) ?? []), f]);
  return m;
}

/** The strings of a result the model will read: text parts, embedded resource text, and structuredContent. */
function resultLeaves(result: CallToolResult): StringLeaf[] {
  const leaves: StringLeaf[] = [];
  result.content?.forEach((c, i) => {
    if (c.type === 'text') leaves.push({ path: `content[${i}].text`, value: c.text });
    else if (c.type === 'resource' && 'text' in c.resource && typeof c.resource.text === 'string')
      leaves.push({ path: `content[${i}].resource.text`, value: c.resource.text });
    else if (c.type === 'resource_link' && typeof c.description === 'string')
      leaves.push({ path: `content[${i}].description`, value: c.description });
  });
  if (result.structuredContent !== undefined) stringLeaves(result.structuredContent, 'structuredContent', leaves);
  return leaves;
}

/** A copy of the result with `fn` applied to exactly the strings resultLeaves() reads. */
function mapResultStrings(result: CallToolResult, fn: (path: string, s: string) => string): CallToolResult {
  const content = result.content?.map((c, i) => {
    if (c.type === 'text') return { ...c, text: fn(`content[${i}].text`, c.text) };
    if (c.type === 'resource' && 'text' in c.resource && typeof c.resource.text === 'string')
      return { ...c, resource: { ...c.resource, text: fn(`content[${i}].resource.text`, c.resource.text) } };
    if (c.type === 'resource_link' && typeof c.description === 'string')
      return { ...c, description: fn(`content[${i}].description`, c.description) };
    return c;
  });
  const out: CallToolResult = { ...result, content: content ?? [] };
  if (result.structuredContent !== undefined)
    out.structuredContent = mapStrings(result.structuredContent, 'structuredContent', fn) as Record<string, unknown>;
  return out;
}

export function createOutputGuardrailStage(opts: GuardrailOptions): ResponseStage {
  return {
    name: 'guardrails',
    slot: 'output-guardrail',
    check(result, ctx) {
      return decide(opts, resultLeaves(result), 'output', ctx, OUTPUT_WORDS, (at) =>
        mapResultStrings(result, (path, s) => {
          const fs = at(path);
          return fs
            ? redactString(s, fs, (f) =>
                f.detector === 'injection' ? '[REMOVED: suspected instruction]' : `[REDACTED:${entityOf(f)}]`,
              )
            : s;
        }),
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
      const vault = VAULTS.get(ctx);
      if (!vault || vault.size === 0) return { action: 'allow' };
      const value = mapResultStrings(result, (_path, s) => vault.restore(s));
      return { action: 'modify', value, reason: `restored ${vault.size} redacted value(s) for the client` };
    },
  };
}
