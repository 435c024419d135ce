/**
 * Annotations as policy input, and human approval (issues 4 and 5). A parameter check: the tool is classified
 * (annotations.ts) and the policy's `annotations` says what happens to each class: `destructive`, `openWorld`, and
 * `other` for a tool that is neither. A tool in both classes gets the stricter action (deny > approve > allow).
 *
 * - deny: `annotations.destructive` / `annotations.open-world` / `annotations.other`, with the config line that
 *   allows it.
 * - approve: the user is asked through MCP elicitation inside the pending tools/call (`ctx.approve`, set by the
 *   gateway only when the client declared elicitation). "Allow once" lets this call through; "allow for this
 *   session" also remembers `<server>/<tool>` in the session, so the next call does not ask; "deny" blocks
 *   (`approval.denied`). A client without elicitation is denied with guidance (`approval.unsupported`), and so is
 *   an approval that fails, times out or is cancelled (`approval.failed`).
 *
 * Every answer is recorded twice: as a detection of detector `approval` on the verdict (so it is in the stage trail
 * the audit log is built from), and as an info log line `{approval: {rule, answer, tool}}` (the shape the
 * data-flow guard uses). Failure mode: closed.
 */
import type { Policy } from '../config/schema.js';
import { messageOf } from '../errors.js';
import type { ApprovalAnswer, CallContext, Detection, RequestStage, ToolCall, Verdict } from '../pipeline/types.js';
import { classifyTool, describeClass, describeSource, type ToolClass } from './annotations.js';

export type AnnotationsPolicy = Policy['annotations'];
type Action = AnnotationsPolicy[keyof AnnotationsPolicy];
type ClassKey = keyof AnnotationsPolicy;

export interface ApprovalOptions {
  annotations: AnnotationsPolicy;
  /** The policy's name under `policies`, so that a block message names the exact config key. */
  policy?: string;
}

const RANK: Record<Action, number> = { allow: 0, approve: 1, deny: 2 };
const RULE: Record<ClassKey, string> = {
  destructive: 'annotations.destructive',
  openWorld: 'annotations.open-world',
  other: 'annotations.other',
};
/** How much of the arguments the approval request shows the user. */
const MAX_SHOWN = 1000;

/** True when this policy can never ask or deny, so the stage need not be in the pipeline. */
export function allowsEverything(policy: AnnotationsPolicy): boolean {
  return policy.destructive === 'allow' && policy.openWorld === 'allow' && policy.other === 'allow';
}

function classesOf(c: ToolClass): ClassKey[] {
  const keys: ClassKey[] = [];
  if (c.destructive) keys.push('destructive');
  if (c.openWorld) keys.push('openWorld');
  return keys.length ? keys : ['other'];
}

function approvalDetection(rule: string, excerpt: string): Detection {
  return { detector: 'approval', rule, score: 1, excerpt };
}

function shownArguments(args: Record<string, unknown>): string {
  const json = JSON.stringify(args);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN)}… (${json.length} characters)` : json;
}

export function createApprovalStage(opts: ApprovalOptions): RequestStage {
  const policy = opts.policy ?? '<name>';
  const setting = (k: ClassKey) => `policies.${policy}.annotations.${k}`;

  /** "set X to "allow", or, if it is not what it claims, override it under servers.S.annotations, e.g. {...}". */
  function howToAllow(call: ToolCall, keys: ClassKey[], to: string): string {
    const set = `set ${keys.map(setting).join(' and ')} to ${to}`;
    if (keys[0] === 'other') return set;
    const fields = keys.map((k) => `"${k}": false`).join(', ');
    return `${set}, or, if the tool is not what the classification says, override it under servers.${call.server}.annotations, e.g. {"${call.tool}": {${fields}}}`;
  }

  return {
    name: 'approval',
    slot: 'parameter-check',
    async check(call, ctx): Promise<Verdict<ToolCall>> {
      const c = classifyTool(ctx.tool, ctx.serverPolicy.annotations);
      const classes = classesOf(c);
      const action = classes.map((k) => opts.annotations[k]).reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
      if (action === 'allow') return { action: 'allow' };
      // The class settings that produce this action: each must change for the call to pass.
      const keys = classes.filter((k) => opts.annotations[k] === action);
      const rule = RULE[keys[0]!];
      const tool = `${call.server}/${call.tool}`;
      const what = `${call.server} tool ${call.tool} is ${describeClass(c)} (${describeSource(c, call.server)})`;

      if (action === 'deny')
        return {
          action: 'deny',
          ruleId: rule,
          reason: `${what}, and ${keys.map(setting).join(' and ')} is "deny". To allow it, ${howToAllow(call, keys, '"approve" or "allow"')}.`,
        };

      const key = tool;
      if (ctx.session.approved.has(key))
        return {
          action: 'allow',
          detections: [approvalDetection('approval.remembered', `allowed for this session earlier: ${tool}`)],
        };
      if (!ctx.approve)
        return {
          action: 'deny',
          ruleId: 'approval.unsupported',
          reason: `${what}, and ${keys.map(setting).join(' and ')} is "approve", but this client does not support MCP elicitation, so the gateway cannot ask you. To allow it without asking, ${howToAllow(call, keys, '"allow"')}.`,
        };
      return ask(call, ctx, { key, tool, rule, what });
    },
  };
}

async function ask(
  call: ToolCall,
  ctx: CallContext,
  info: { key: string; tool: string; rule: string; what: string },
): Promise<Verdict<ToolCall>> {
  const record = (answer: ApprovalAnswer | 'failed', extra: Record<string, unknown> = {}) =>
    ctx.log.info({ approval: { rule: info.rule, answer, tool: info.tool, ...extra } }, 'approval answered');
  let answer: ApprovalAnswer;
  try {
    answer = await ctx.approve!({
      message: `Allow this tool call? ${info.what}.\nTool: ${call.exposedName}\nArguments: ${shownArguments(call.arguments)}`,
      key: info.key,
    });
  } catch (error) {
    // Timed out, cancelled, or the client answered with an error or a value outside the choices: fail closed.
    record('failed', { error: messageOf(error) });
    const reason = `${info.what}; the gateway asked for approval, but got no answer (${messageOf(error)}), so the call is denied`;
    return {
      action: 'deny',
      ruleId: 'approval.failed',
      reason,
      detections: [approvalDetection('approval.failed', `no answer for ${info.tool}`)],
    };
  }
  record(answer);
  switch (answer) {
    case 'once':
      return { action: 'allow', detections: [approvalDetection('approval.once', `allowed once: ${info.tool}`)] };
    case 'session':
      ctx.session.approved.add(info.key);
      return {
        action: 'allow',
        detections: [approvalDetection('approval.session', `allowed for this session: ${info.tool}`)],
      };
    default:
      return {
        action: 'deny',
        ruleId: 'approval.denied',
        reason: `${info.what}; asked to approve this call, the user denied it (or declined or dismissed the request)`,
        detections: [approvalDetection('approval.denied', `denied: ${info.tool}`)],
      };
  }
}
