/**
 * `resources/read` URIs (issue 15, class 6): a `file:` URI names a file as surely as a path argument does, so it
 * gets the same rule. Phase: the client → upstream `resources/read` request, before it is forwarded (the call site
 * and the scoping of other schemes per server live with the gateway's request routing). Pure apart from the
 * synchronous lstat/readlink calls of the path check; never throws.
 *
 * For a `file:` URI: percent-decoding (every round), `..` and symbolic links are resolved exactly as the path check
 * of args/path.ts resolves a path argument (it is that check), so the URI must stay inside the server's roots when
 * it has some, and may never name a credential location (args/credential-path.ts) unless the server's
 * `credentialPaths` setting allows it. Refusals:
 * - `resources.uri-invalid`: not a URI at all (no scheme), a `file:` URI that does not parse, names a remote host
 *   (`file://host/…`), carries a NUL or other control character (raw or percent-encoded), encodes a `/` inside a
 *   segment, or a path trick the path check refuses outright (`~`, `$VAR`, Windows devices and drives, look-alike
 *   Unicode), or a path that cannot be resolved (a symlink loop);
 * - `resources.outside-roots`: it resolves outside the server's roots (through `..`, encoded `..`, a symlink, or
 *   plainly);
 * - `resources.credential`: it names a credential location.
 * Any other scheme is the server's own name space: undefined here.
 *
 * Failure mode: closed. Whatever cannot be read as a local path inside the roots is refused.
 */
import type { RequestStage, ServerPolicyContext } from '../pipeline/types.js';
import { createPathCheck } from './args/path.js';
import { show } from './args/show.js';
import type { ArgContext, PathRuleId } from './args/types.js';

export type ResourceUriRuleId = 'resources.uri-invalid' | 'resources.outside-roots' | 'resources.credential';

export interface ResourceUriViolation {
  ruleId: ResourceUriRuleId;
  reason: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const FILE_SCHEME = /^file:/i;
const OUTSIDE: ReadonlySet<PathRuleId> = new Set([
  'args.path.outside',
  'args.path.traversal',
  'args.path.encoded-traversal',
  'args.path.symlink-escape',
]);

const confined = createPathCheck();
// Without roots nothing confines a file URI, but the credential default and the lexical refusals still hold.
const anywhere = createPathCheck({ within: ['/'] });

export function checkResourceUri(uri: string, policy: ServerPolicyContext): ResourceUriViolation | undefined {
  if (!SCHEME.test(uri))
    return { ruleId: 'resources.uri-invalid', reason: `resource URI ${show(uri)} has no scheme: it is not a URI` };
  if (!FILE_SCHEME.test(uri)) return undefined;
  const ctx: ArgContext = {
    cwd: policy.cwd,
    ...(policy.roots.length > 0 ? { roots: policy.roots } : {}),
    ...(policy.credentialPaths !== undefined ? { credentialPaths: policy.credentialPaths } : {}),
  };
  const v = (policy.roots.length > 0 ? confined : anywhere).check(uri, ctx);
  if (v === null) return undefined;
  const reason = `resource URI: ${v.reason}`;
  if (v.ruleId === 'args.path.credential') return { ruleId: 'resources.credential', reason };
  if (OUTSIDE.has(v.ruleId as PathRuleId)) return { ruleId: 'resources.outside-roots', reason };
  return { ruleId: 'resources.uri-invalid', reason };
}

/**
 * The check as a request stage for `resources/read` and `resources/subscribe`: the request's `uri` is the one
 * argument (`{ uri }`), the server's roots and credential setting come from the context. Slot: parameter check.
 */
export function createResourceUriStage(): RequestStage {
  return {
    name: 'resource-uri',
    slot: 'parameter-check',
    check(call, ctx) {
      const uri = call.arguments.uri;
      if (typeof uri !== 'string')
        return { action: 'deny', ruleId: 'resources.uri-invalid', reason: 'the resource URI is not a string' };
      const violation = checkResourceUri(uri, ctx.serverPolicy);
      return violation ? { action: 'deny', ...violation } : { action: 'allow' };
    },
  };
}
