/**
 * The table of crossings (issue 15, DESIGN.md "Crossings: nothing passes unguarded"): every message kind that can
 * cross the gateway, in each direction, with what guards it. A request row also says what guards its answer on the
 * way back. Definitions the gateway re-exports (tools, prompts, resources and their `_meta`) are rows of their own.
 *
 * The table is enforced twice. At start-up, every handler the gateway installs (a request handler of the client
 * session, a relay handler of an upstream client, a notification it relays) asks `requireCrossing` for its row, and a
 * missing row is an error: nothing new can be wired without saying what guards it. In the tests, every method of
 * the MCP SDK's request and notification schemas, both ways, must have a row (crossings.test.ts), so a protocol
 * version that adds a message kind fails the build until it is placed here.
 *
 * Guards:
 * - `pipeline`: runs policy stages (named in `what`); a deny is a refusal that names the rule;
 * - `integrity`: answered from catalogs that passed the integrity gate (pins, definition scan);
 * - `gateway`: handled by the gateway itself and never forwarded as it came (answered from config, mapped ids);
 * - `refused`: never forwarded; answered with an error, or dropped for a notification;
 * - `pass`: forwarded as it is, for the written reason.
 */
import { GatewayError } from '../errors.js';

export type Party = 'client' | 'upstream';
export type MessageKind = 'request' | 'notification' | 'definition';

export interface Guard {
  by: 'pipeline' | 'integrity' | 'gateway' | 'refused' | 'pass';
  /** What runs, or why nothing needs to. */
  what: string;
}

export interface Crossing {
  /** The JSON-RPC method, or for a definition the list it travels in. */
  method: string;
  /** Who sends it: the client (towards an upstream) or an upstream (towards the client). */
  from: Party;
  kind: MessageKind;
  guard: Guard;
  /** Requests only: what guards the answer on its way back to the sender. */
  answer?: Guard;
}

const pipeline = (what: string): Guard => ({ by: 'pipeline', what });
const gateway = (what: string): Guard => ({ by: 'gateway', what });
const refused = (what: string): Guard => ({ by: 'refused', what });
const integrity = (what: string): Guard => ({ by: 'integrity', what });
const pass = (what: string): Guard => ({ by: 'pass', what });

const OUTPUT = 'the output guardrails of the server’s policy (size, detectors, judges), over every string';
const INPUT = 'the input guardrails of the server’s policy, over every string';
const TASKS = 'task-augmented requests are not supported: the capability is never declared, so nothing is relayed';

export const CROSSINGS: readonly Crossing[] = [
  // Client → gateway → upstream: requests.
  {
    method: 'initialize',
    from: 'client',
    kind: 'request',
    guard: gateway('answered by the gateway with its own capabilities; upstreams are initialised by the gateway'),
    answer: gateway('the gateway’s own server info and capabilities'),
  },
  {
    method: 'ping',
    from: 'client',
    kind: 'request',
    guard: gateway('answered by the gateway'),
    answer: gateway('an empty result'),
  },
  {
    method: 'tools/call',
    from: 'client',
    kind: 'request',
    guard: pipeline(
      'audit.required, the integrity gate, the input guardrails, then the parameter checks (schema, argument ' +
        'rules, data flow, rate limit, approval)',
    ),
    answer: pipeline(
      `${OUTPUT} (over the result, or over the upstream's JSON-RPC error message and data read as one), then the ` +
        'restore of input placeholders',
    ),
  },
  {
    method: 'tools/list',
    from: 'client',
    kind: 'request',
    guard: gateway('answered from the gateway’s routes; never forwarded'),
    answer: integrity('tools that passed the integrity gate, filtered by the allowlist and the caller’s access'),
  },
  {
    method: 'prompts/list',
    from: 'client',
    kind: 'request',
    guard: gateway('answered from the gateway’s routes; never forwarded'),
    answer: integrity('prompts of catalogs that passed the integrity gate (definition scan)'),
  },
  {
    method: 'resources/list',
    from: 'client',
    kind: 'request',
    guard: gateway('answered from the gateway’s routes; never forwarded'),
    answer: integrity('resources of catalogs that passed the integrity gate'),
  },
  {
    method: 'resources/templates/list',
    from: 'client',
    kind: 'request',
    guard: gateway('answered from the gateway’s routes; never forwarded'),
    answer: integrity('resource templates of catalogs that passed the integrity gate (definition scan)'),
  },
  {
    method: 'prompts/get',
    from: 'client',
    kind: 'request',
    guard: pipeline(`the prompt arguments pass ${INPUT}`),
    answer: pipeline(
      `the prompt messages (or the upstream's JSON-RPC error) pass ${OUTPUT} (a prompt’s own task is not counted as ` +
        'injection)',
    ),
  },
  {
    method: 'resources/read',
    from: 'client',
    kind: 'request',
    guard: pipeline(`the URI passes the resource rule (file: URIs inside the roots, no credential files) and ${INPUT}`),
    answer: pipeline(
      `every content (text, decoded text blobs, _meta), or the upstream's JSON-RPC error, passes ${OUTPUT}`,
    ),
  },
  {
    method: 'resources/subscribe',
    from: 'client',
    kind: 'request',
    guard: pipeline(`the URI passes the resource rule and ${INPUT}`),
    answer: pass('an empty result'),
  },
  {
    method: 'resources/unsubscribe',
    from: 'client',
    kind: 'request',
    guard: gateway('only a URI this session subscribed to is forwarded; the gateway counts subscribers per upstream'),
    answer: pass('an empty result'),
  },
  {
    method: 'completion/complete',
    from: 'client',
    kind: 'request',
    guard: pipeline(`the typed value and the context arguments pass ${INPUT}`),
    answer: pipeline(`every completion value passes ${OUTPUT}; a blocked value is left out`),
  },
  {
    method: 'logging/setLevel',
    from: 'client',
    kind: 'request',
    guard: gateway('applied by the gateway to its own upstreams; carries only a level from a fixed list'),
    answer: pass('an empty result'),
  },
  { method: 'tasks/get', from: 'client', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/result', from: 'client', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/list', from: 'client', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/cancel', from: 'client', kind: 'request', guard: refused(TASKS) },

  // Client → gateway: notifications.
  {
    method: 'notifications/initialized',
    from: 'client',
    kind: 'notification',
    guard: gateway('consumed by the gateway; upstreams get the gateway’s own'),
  },
  {
    method: 'notifications/cancelled',
    from: 'client',
    kind: 'notification',
    guard: gateway('aborts the gateway’s own request in flight, which cancels the upstream request it made'),
  },
  {
    method: 'notifications/progress',
    from: 'client',
    kind: 'notification',
    guard: refused('not relayed: the gateway does not forward progress of requests it relayed to the client'),
  },
  {
    method: 'notifications/roots/list_changed',
    from: 'client',
    kind: 'notification',
    guard: refused('never forwarded: an upstream’s roots come from the config, never from the client'),
  },
  {
    method: 'notifications/tasks/status',
    from: 'client',
    kind: 'notification',
    guard: refused(TASKS),
  },

  // Upstream → gateway → client: requests.
  {
    method: 'ping',
    from: 'upstream',
    kind: 'request',
    guard: gateway('answered by the gateway’s client'),
    answer: gateway('an empty result'),
  },
  {
    method: 'roots/list',
    from: 'upstream',
    kind: 'request',
    guard: gateway('answered by the gateway from the server’s configured roots; never the client’s'),
    answer: gateway('the configured roots'),
  },
  {
    method: 'sampling/createMessage',
    from: 'upstream',
    kind: 'request',
    guard: pipeline(
      `the server’s sampling policy (allow, approve, deny; deny by default; never in serve), then ${OUTPUT}`,
    ),
    answer: pipeline(`the client’s answer passes ${INPUT} before the upstream sees it`),
  },
  {
    method: 'elicitation/create',
    from: 'upstream',
    kind: 'request',
    guard: pipeline(
      `the server’s elicitation policy (allow, approve, deny; deny by default; never in serve), then ${OUTPUT}`,
    ),
    answer: pipeline(`the user’s answer passes ${INPUT} before the upstream sees it`),
  },
  { method: 'tasks/get', from: 'upstream', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/result', from: 'upstream', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/list', from: 'upstream', kind: 'request', guard: refused(TASKS) },
  { method: 'tasks/cancel', from: 'upstream', kind: 'request', guard: refused(TASKS) },

  // Upstream → gateway → client: notifications.
  {
    method: 'notifications/message',
    from: 'upstream',
    kind: 'notification',
    guard: pipeline(
      `${OUTPUT}, then the secret masker; a blocked message is replaced by a notice; only from the session’s own ` +
        'upstreams (stdio), never from shared ones',
    ),
  },
  {
    method: 'notifications/progress',
    from: 'upstream',
    kind: 'notification',
    guard: pipeline(
      'relayed under the client’s own token for the call in flight; its message passes the secret masker ' +
        '(status text for the client’s progress display, not content for the model)',
    ),
  },
  {
    method: 'notifications/cancelled',
    from: 'upstream',
    kind: 'notification',
    guard: gateway('aborts the relayed request of that upstream; the gateway cancels its own request to the client'),
  },
  {
    method: 'notifications/resources/updated',
    from: 'upstream',
    kind: 'notification',
    guard: gateway('relayed only for a URI this session subscribed to: it carries the client’s own URI back'),
  },
  {
    method: 'notifications/tools/list_changed',
    from: 'upstream',
    kind: 'notification',
    guard: integrity('the gateway lists again, runs the integrity gate, and sends its own when its view changed'),
  },
  {
    method: 'notifications/prompts/list_changed',
    from: 'upstream',
    kind: 'notification',
    guard: integrity('the gateway lists again, runs the integrity gate, and sends its own when its view changed'),
  },
  {
    method: 'notifications/resources/list_changed',
    from: 'upstream',
    kind: 'notification',
    guard: integrity('the gateway lists again, runs the integrity gate, and sends its own when its view changed'),
  },
  {
    method: 'notifications/elicitation/complete',
    from: 'upstream',
    kind: 'notification',
    guard: refused('dropped: URL-mode elicitation completion is not relayed'),
  },
  { method: 'notifications/tasks/status', from: 'upstream', kind: 'notification', guard: refused(TASKS) },

  // Definitions the gateway re-exports.
  {
    method: 'tools',
    from: 'upstream',
    kind: 'definition',
    guard: integrity(
      'pinned by a hash of every field (_meta included), the definition scan over every string, shadowing and ' +
        'duplicate checks; a cached list never pins',
    ),
  },
  {
    method: 'prompts',
    from: 'upstream',
    kind: 'definition',
    guard: integrity('the definition scan over every string (arguments, annotations, _meta)'),
  },
  {
    method: 'resourceTemplates',
    from: 'upstream',
    kind: 'definition',
    guard: integrity('the definition scan over every string (annotations, _meta)'),
  },
  {
    method: 'resources',
    from: 'upstream',
    kind: 'definition',
    guard: pass(
      'listed as the server lists them: a resource entry names content the client may read, and reading it passes ' +
        'the output guardrails',
    ),
  },
];

const INDEX = new Map(CROSSINGS.map((c) => [`${c.from}\u0000${c.kind}\u0000${c.method}`, c]));

/** The row of a crossing, or a start-up error that names what has no guard. */
export function requireCrossing(from: Party, kind: MessageKind, method: string): Crossing {
  const row = INDEX.get(`${from}\u0000${kind}\u0000${method}`);
  if (!row)
    throw new GatewayError(
      'INTERNAL',
      `the ${from} ${kind} ${method} crosses the gateway without a guard: add it to the table in server/crossings.ts`,
    );
  return row;
}

/** An SDK request or notification schema: `z.object({ method: z.literal(...), ... })`. */
export interface MethodSchema {
  shape: { method: { value: string } };
}

/** The method literal of an SDK request or notification schema. */
export function methodOf(schema: MethodSchema): string {
  return schema.shape.method.value;
}

/**
 * The schema itself, once its crossing has a row: wrap every schema a handler is installed for, so that a handler
 * without a guard fails at start-up. `from` is who sends the message the handler receives.
 */
export function guarded<S extends MethodSchema>(from: Party, kind: 'request' | 'notification', schema: S): S {
  requireCrossing(from, kind, methodOf(schema));
  return schema;
}
