/**
 * The data-flow guard (issue 4, beyond every peer): within one session, a value that a tool result carried out in
 * the open — a secret or PII that a detector found and the policy only warned about, or a URL or address inside
 * content flagged as an injection — may not leave through a later call to an open-world or destructive tool. "A
 * secret read from a file may not appear in the next fetch URL."
 *
 * Two halves: the output guardrail stage calls `recordTaint` with what passed through unredacted, and the request
 * stage here looks for those values in the arguments of outbound calls (as they are, lower-cased, URL-encoded and
 * base64-encoded), then denies, asks the user, or records, as `policies.<name>.dataFlow.action` says. Failure mode:
 * closed (a throw is a deny).
 */
import type { CallContext, Detection, RequestStage, SessionState } from '../pipeline/types.js';
import { stringLeaves } from '../util/json-strings.js';

/** How many values a session remembers; the oldest go first. */
const MAX_TAINTED = 1000;
/** Values shorter than this are too common to follow (a two-digit number, "a@b"). */
const MIN_LENGTH = 6;
const URL_OR_EMAIL = /\bhttps?:\/\/[^\s"'<>)\]]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

export interface TaintSource {
  /** `<server>/<tool>` whose result carried the value. */
  from: string;
  /** The scanned strings by path, as the detections name them. */
  text: (path: string) => string | undefined;
}

/**
 * Remembers the values that a result let through: PII and secret spans, and the URLs and email addresses inside
 * spans flagged as injected instructions. `passed` are detections that were recorded, not redacted or blocked.
 */
export function recordTaint(session: SessionState, passed: readonly Detection[], source: TaintSource): void {
  for (const d of passed) {
    if (d.start === undefined || d.end === undefined || d.path === undefined) continue;
    const span = source.text(d.path)?.slice(d.start, d.end);
    if (!span) continue;
    if (d.detector === 'pii' || d.detector === 'secrets') remember(session, span, d.entity ?? d.detector, source.from);
    else if (d.detector === 'injection')
      for (const m of span.matchAll(URL_OR_EMAIL)) remember(session, m[0], 'UNTRUSTED_DESTINATION', source.from);
  }
}

function remember(session: SessionState, value: string, entity: string, from: string): void {
  if (value.length < MIN_LENGTH) return;
  session.tainted.delete(value);
  session.tainted.set(value, { entity, from });
  if (session.tainted.size > MAX_TAINTED) session.tainted.delete(session.tainted.keys().next().value!);
}

/** The spellings of a value that a call could carry it in. */
function spellings(value: string): string[] {
  const out = new Set([value, value.toLowerCase(), encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  out.add(Buffer.from(value).toString('base64url'));
  return [...out].filter((s) => s.length >= MIN_LENGTH);
}

/** The first tainted value found in the call's arguments, with where. */
export function findTainted(
  session: SessionState,
  args: unknown,
): { value: string; entity: string; from: string; path: string } | undefined {
  if (session.tainted.size === 0) return undefined;
  const leaves = stringLeaves(args, 'arguments');
  for (const [value, info] of session.tainted) {
    const forms = spellings(value);
    for (const leaf of leaves) {
      const hay = leaf.value;
      const lower = hay.toLowerCase();
      if (forms.some((f) => hay.includes(f) || lower.includes(f.toLowerCase())))
        return { value, ...info, path: leaf.path };
    }
  }
  return undefined;
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
    async check(call, ctx) {
      if (ctx.session.tainted.size === 0 || !opts.outbound(ctx)) return { action: 'allow' };
      const hit = findTainted(ctx.session, call.arguments);
      if (!hit) return { action: 'allow' };
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
        const answer = await ctx.approve({
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
