/**
 * The data-flow guard (issue 4, beyond every peer): within one session, a value that a tool result carried out in
 * the open — a secret or PII that a detector found and the policy only warned about, or a URL or address inside
 * content flagged as an injection — may not leave through a later call to an open-world or destructive tool. "A
 * secret read from a file may not appear in the next fetch URL."
 *
 * Two halves: the output guardrail stage records what passed through unredacted (pipeline/taint.ts), and the request
 * stage here looks for those values in the arguments of outbound calls, then denies, asks the user, or records, as
 * `policies.<name>.dataFlow.action` says.
 *
 * A value may leave in another spelling (issue 15, class 4), so each argument string is read as it is and through
 * the views of guardrails/decode.ts: hex, base64/base64url (two layers), percent-encoding, escapes and character
 * codes decoded, reversed, and with separators removed; the value is looked for as it is, lower-cased and reversed,
 * and, with separators removed, in the text with separators removed. A value split across string arguments is found
 * in the concatenation of all of them in order, and at the boundary of every ordered pair.
 *
 * Failure mode: closed (a throw is a deny). A decode that runs out of budget, or more string arguments than pairs
 * are checked for, is `data-flow.budget-exceeded`: denied, unless the policy only warns.
 */
import { MIN_LENGTH } from '../pipeline/taint.js';
import type { CallContext, Detection, RequestStage, SessionState, ToolCall, Verdict } from '../pipeline/types.js';
import { stringLeaves } from '../util/json-strings.js';
import { decodeLayers, identityView, separatedView } from '../guardrails/decode.js';

/** Most string arguments whose every ordered pair is checked for a value split across two of them. */
const MAX_PAIRED = 64;
/** Separators an attacker puts inside a value, and that a value's own formatting may use. */
const SEPARATOR_CHARS = /[\s\-_.,;|:]+/g;
/** Below this many characters without separators, a value is too common to follow that way. */
const MIN_SQUASHED = 8;

const squash = (s: string): string => s.replace(SEPARATOR_CHARS, '');
const reverse = (s: string): string => [...s].reverse().join('');

/** The spellings of a value that a call could carry it in, before any decoding. */
function spellings(value: string): string[] {
  const out = new Set([value, value.toLowerCase(), encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  out.add(Buffer.from(value).toString('base64url'));
  out.add(reverse(value));
  out.add(reverse(value.toLowerCase()));
  return [...out].filter((s) => s.length >= MIN_LENGTH);
}

interface Needle {
  value: string;
  forms: string[];
  /** Lower-cased, separators removed; undefined when too short to follow that way. */
  squashed: string | undefined;
}

/** Whether `hay` carries the needle in any of its spellings. */
function carries(hay: string, needle: Needle): boolean {
  const lower = hay.toLowerCase();
  if (needle.forms.some((f) => hay.includes(f) || lower.includes(f.toLowerCase()))) return true;
  if (needle.squashed === undefined) return false;
  const flat = squash(lower);
  return flat.includes(needle.squashed) || flat.includes(reverse(needle.squashed));
}

export type TaintHit =
  | { value: string; entity: string; from: string; path: string; budget?: undefined }
  | { budget: true; path: string; reason: string };

/**
 * The first tainted value found in the call's arguments, with where; or the first string that could not be read to
 * the end (`budget`).
 */
export function findTainted(session: SessionState, args: unknown): TaintHit | undefined {
  if (session.tainted.size === 0) return undefined;
  const leaves = stringLeaves(args, 'arguments');
  // Every text to look in, by path: each argument string and its decoded and rejoined views, then the
  // concatenation of all of them in order (a value split across arguments), read the same way.
  const hays: { path: string; text: string }[] = [];
  const add = (path: string, text: string): TaintHit | undefined => {
    const { layers, exceeded } = decodeLayers(text);
    if (exceeded.length > 0)
      return { budget: true, path, reason: `a decode ran out of its ${exceeded[0]!.reason} budget` };
    for (const view of [identityView(text), ...layers]) {
      hays.push({ path, text: view.text });
      const rejoined = separatedView(view);
      if (rejoined) hays.push({ path, text: rejoined.text });
    }
    return undefined;
  };
  for (const leaf of leaves) {
    const over = add(leaf.path, leaf.value);
    if (over) return over;
  }
  if (leaves.length > 1) {
    const over = add('arguments (all strings joined)', leaves.map((l) => l.value).join(''));
    if (over) return over;
  }
  if (leaves.length > MAX_PAIRED)
    return { budget: true, path: 'arguments', reason: `more than ${MAX_PAIRED} strings to check in pairs` };
  const needles: (Needle & { entity: string; from: string })[] = [...session.tainted].map(([value, info]) => {
    const flat = squash(value.toLowerCase());
    return { value, ...info, forms: spellings(value), squashed: flat.length >= MIN_SQUASHED ? flat : undefined };
  });
  for (const needle of needles) {
    for (const hay of hays) if (carries(hay.text, needle)) return { ...pick(needle), path: hay.path };
  }
  // A value split across two strings in any order: the end of one and the start of the other.
  const reach = Math.max(...needles.map((n) => Math.max(...n.forms.map((f) => f.length), n.value.length))) - 1;
  for (let i = 0; i < leaves.length; i++) {
    for (let j = 0; j < leaves.length; j++) {
      if (i === j) continue;
      const a = leaves[i]!.value;
      const b = leaves[j]!.value;
      const seam = a.slice(-reach) + b.slice(0, reach);
      for (const needle of needles)
        if (carries(seam, needle)) return { ...pick(needle), path: `${leaves[i]!.path} + ${leaves[j]!.path}` };
    }
  }
  return undefined;
}

function pick(n: { value: string; entity: string; from: string }) {
  return { value: n.value, entity: n.entity, from: n.from };
}

export interface DataFlowOptions {
  action: 'deny' | 'approve' | 'warn';
  /** Whether the tool sends data out: open-world or destructive (see annotations.ts). */
  outbound: (ctx: CallContext) => boolean;
}

export function createDataFlowStage(opts: DataFlowOptions): RequestStage {
  return {
    name: 'data-flow',
    slot: 'parameter-check',
    // Not async: a session whose results carried nothing sensitive (the common case) is allowed without a promise.
    check(call, ctx) {
      if (ctx.session.tainted.size === 0 || !opts.outbound(ctx)) return { action: 'allow' };
      const hit = findTainted(ctx.session, call.arguments);
      if (!hit) return { action: 'allow' };
      if (hit.budget) {
        // Fail closed: what could not be read may carry the value.
        const detection: Detection = {
          detector: 'data-flow',
          rule: 'data-flow.budget-exceeded',
          score: 1,
          excerpt: hit.reason,
          path: hit.path,
        };
        if (opts.action === 'warn') return { action: 'allow', detections: [detection] };
        return {
          action: 'deny',
          ruleId: 'data-flow.budget-exceeded',
          reason: `${call.server} tool ${call.tool} sends data out, and ${hit.path} could not be checked for values that earlier results carried: ${hit.reason}`,
          detections: [detection],
        };
      }
      const what = `${hit.entity} value that a result of ${hit.from} carried is in ${hit.path}`;
      const detection: Detection = {
        detector: 'data-flow',
        rule: 'data-flow.outbound',
        score: 1,
        excerpt: `${hit.entity} from ${hit.from}`,
        entity: hit.entity,
        path: hit.path,
      };
      if (opts.action === 'warn') return { action: 'allow', detections: [detection] };
      const key = `data-flow:${call.server}/${call.tool}:${hit.value}`;
      if (opts.action === 'approve' && ctx.session.approved.has(key))
        return { action: 'allow', detections: [detection] };
      if (opts.action === 'approve' && ctx.approve) {
        const approve = ctx.approve;
        return (async (): Promise<Verdict<ToolCall>> => {
          const answer = await approve({
            message: `${call.server} tool ${call.tool} would send out a ${what}. Allow this call?`,
            key,
          });
          if (answer === 'session') ctx.session.approved.add(key);
          ctx.log.info(
            { approval: { rule: 'data-flow.outbound', answer, tool: `${call.server}/${call.tool}` } },
            'approval answered',
          );
          if (answer !== 'deny') return { action: 'allow', detections: [detection] };
          return {
            action: 'deny',
            ruleId: 'approval.denied',
            reason: `the user denied sending out a ${what}`,
            detections: [detection],
          };
        })();
      }
      const how =
        opts.action === 'approve'
          ? '; the policy asks for approval, but this client does not support MCP elicitation'
          : '';
      return {
        action: 'deny',
        ruleId: 'data-flow.outbound',
        reason: `${call.server} tool ${call.tool} sends data out, and a ${what}${how}. To allow it, set policies.<name>.dataFlow.action to "warn" or mark the tool under servers.${call.server}.annotations.`,
        detections: [detection],
      };
    },
  };
}
