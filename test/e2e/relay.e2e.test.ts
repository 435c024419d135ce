/**
 * Requests an upstream makes of the client, and the other relays outside a tool call (issue 15, class 3 and part of
 * class 2), through the built gateway with test/fixtures/relay-server.ts as the upstream and a client that declares
 * sampling and elicitation. Denied by default; with `allow`, a clean request reaches the client with the server
 * named, an injected one is refused with its rule (inside a call or unprompted), a secret in the client's answer
 * never reaches the upstream; `approve` asks the user first; log messages, completion values and prompt arguments
 * pass the guardrails; every decision leaves an audit record.
 * Held out from tuning (written after the code, never run while coding it): the injection in a schema field's
 * title, the injection in a sampling message instead of the system prompt, and the e-mail in an elicitation answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CompleteResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fixtureServer,
  nonJsonRpcLines,
  startGateway,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';

import { RELAY_TEXTS, TOKEN } from '../fixtures/relay-texts.js';

const BOTH = { sampling: {}, elicitation: {} };

function config(relay: { sampling?: string; elicitation?: string } = {}) {
  return {
    servers: { relay: { ...fixtureServer('relay-server.ts'), ...relay } },
    audit: { fsync: 'always' },
    // A loaded test machine can take longer than the default 10 s to start a tsx fixture.
    upstreams: { listWaitMs: 60_000 },
  };
}

let gw: SpawnedGateway | undefined;
afterEach(async () => {
  if (!gw) return;
  expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  expect((await gw.closeStdin()).code).toBe(0);
  gw = undefined;
});

/** The client's side: records what it was asked, answers with what the test gives. */
function clientAnswers(
  g: SpawnedGateway,
  opts: {
    sample?: (p: CreateMessageRequest['params']) => CreateMessageResult;
    elicit?: (p: ElicitRequest['params']) => ElicitResult;
  } = {},
  declared: { sampling?: object; elicitation?: object } = BOTH,
) {
  const sampled: CreateMessageRequest['params'][] = [];
  const elicited: ElicitRequest['params'][] = [];
  if (declared.sampling)
    g.client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      sampled.push(req.params);
      return (
        opts.sample?.(req.params) ?? { model: 'm', role: 'assistant', content: { type: 'text', text: 'It is sunny.' } }
      );
    });
  if (declared.elicitation)
    g.client.setRequestHandler(ElicitRequestSchema, (req) => {
      elicited.push(req.params);
      return opts.elicit?.(req.params) ?? { action: 'accept', content: { answer: 'blue' } };
    });
  return { sampled, elicited };
}

const call = (g: SpawnedGateway, name: string, args: Record<string, unknown> = {}) =>
  g.client.callTool({ name: `relay__${name}`, arguments: args });

function relayRecords(g: SpawnedGateway): { server: string; method: string; decision: string; ruleId?: string }[] {
  const file = path.join(g.home, 'audit.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; server: string; method: string; decision: string; ruleId?: string })
    .filter((r) => r.kind === 'relay');
}

describe('sampling and elicitation from an upstream', () => {
  it('refuses both by default, without asking the client, and audits the refusal', async () => {
    gw = await startGateway(config(), { capabilities: BOTH });
    const { sampled, elicited } = clientAnswers(gw);
    const s = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(s.isError).toBe(true);
    expect(textOf(s)).toContain('relay.sampling-denied');
    const e = await call(gw, 'ask_user', { message: 'colour_question' });
    expect(textOf(e)).toContain('relay.elicitation-denied');
    expect(sampled).toEqual([]);
    expect(elicited).toEqual([]);
    const records = await waitFor(() => (relayRecords(gw!).length >= 2 ? relayRecords(gw!) : undefined));
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          server: 'relay',
          method: 'sampling/createMessage',
          decision: 'denied',
          ruleId: 'relay.sampling-denied',
        }),
        expect.objectContaining({
          method: 'elicitation/create',
          decision: 'denied',
          ruleId: 'relay.elicitation-denied',
        }),
      ]),
    );
  });

  it('refuses with relay.unsupported when the client did not declare the capability', async () => {
    gw = await startGateway(config({ sampling: 'allow' }));
    const s = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(textOf(s)).toContain('relay.unsupported');
  });

  it('with allow: relays a clean sampling request naming the server, and its answer back', async () => {
    gw = await startGateway(config({ sampling: 'allow' }), { capabilities: BOTH });
    const { sampled } = clientAnswers(gw);
    for (let i = 0; i < 2; i++) {
      const r = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
      expect(r.isError ?? false, textOf(r)).toBe(false);
      expect(textOf(r)).toContain('It is sunny.');
    }
    expect(sampled).toHaveLength(2);
    expect(sampled[0]!.systemPrompt).toBe(RELAY_TEXTS.weather_system);
    expect(sampled[0]!._meta?.['secure-mcp-gateway/server']).toBe('relay');
    const records = await waitFor(() => (relayRecords(gw!).length >= 2 ? relayRecords(gw!) : undefined));
    expect(records[0]).toMatchObject({ method: 'sampling/createMessage', decision: 'allowed', server: 'relay' });
  });

  it.each([
    ['in the system prompt', { system: 'injection', prompt: 'weather_prompt' }],
    // held out
    ['in a message', { system: 'weather_system', prompt: 'injection_in_message' }],
  ])('with allow: blocks an injection %s before the client sees it', async (_where, args) => {
    gw = await startGateway(config({ sampling: 'allow' }), { capabilities: BOTH });
    const { sampled } = clientAnswers(gw);
    for (let i = 0; i < 2; i++) {
      const r = await call(gw, 'ask_model', args);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/blocked by output guardrail injection\.[\w.-]+/);
    }
    expect(sampled).toEqual([]);
    const records = await waitFor(() => (relayRecords(gw!).length >= 2 ? relayRecords(gw!) : undefined));
    expect(records[0]).toMatchObject({ decision: 'denied', phase: 'request' });
    expect(records[0]!.ruleId).toMatch(/^injection\./);
  });

  it('with allow: a secret in the client’s sampling answer never reaches the upstream', async () => {
    gw = await startGateway(config({ sampling: 'allow' }), { capabilities: BOTH });
    const { sampled } = clientAnswers(gw, {
      sample: () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: `The token is ${TOKEN}` } }),
    });
    const r = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(sampled).toHaveLength(1);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/blocked by input guardrail secrets\.[\w.-]+/);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    const records = await waitFor(() => (relayRecords(gw!).length >= 1 ? relayRecords(gw!) : undefined));
    expect(records[0]).toMatchObject({ decision: 'denied', phase: 'answer' });
  });

  it('with allow: an elicitation reaches the user prefixed with the server, its secret redacted', async () => {
    gw = await startGateway(config({ elicitation: 'allow' }), { capabilities: BOTH });
    const { elicited } = clientAnswers(gw);
    const r = await call(gw, 'ask_user', { message: 'token_question' });
    expect(r.isError ?? false, textOf(r)).toBe(false);
    expect(JSON.parse(textOf(r))).toEqual({ action: 'accept', content: { answer: 'blue' } });
    expect(elicited).toHaveLength(1);
    expect(elicited[0]!.message).toMatch(/^\[relay\] Is \[REDACTED:[A-Z_]+\] still your token\?$/);
    expect(JSON.stringify(elicited)).not.toContain(TOKEN);
  });

  it.each([
    ['a GitHub token', TOKEN, /blocked by input guardrail secrets\./, undefined],
    // held out: PII is redacted on input by default, so the upstream gets a placeholder, not the address
    ['an e-mail address', 'jane.doe@example.com', undefined, /\[EMAIL_ADDRESS_1\]|\[EMAIL_1\]/],
  ])(
    'with allow: %s in the user’s elicitation answer never reaches the upstream',
    async (_what, value, blocked, placeholder) => {
      gw = await startGateway(config({ elicitation: 'allow' }), { capabilities: BOTH });
      clientAnswers(gw, { elicit: () => ({ action: 'accept', content: { answer: `mine is ${value}` } }) });
      const r = await call(gw, 'ask_user', { message: 'colour_question' });
      expect(JSON.stringify(r)).not.toContain(value);
      if (blocked) expect(textOf(r)).toMatch(blocked);
      if (placeholder) expect(textOf(r)).toMatch(placeholder);
    },
  );

  it('with allow: blocks an injection in a requested field’s title (held out)', async () => {
    gw = await startGateway(config({ elicitation: 'allow' }), { capabilities: BOTH });
    const { elicited } = clientAnswers(gw);
    const r = await call(gw, 'ask_user', { message: 'colour_question', title: 'injection' });
    expect(textOf(r)).toMatch(/injection\./);
    expect(elicited).toEqual([]);
  });

  it('guards an unprompted sampling request sent outside any call', async () => {
    gw = await startGateway(config({ sampling: 'allow' }), { capabilities: BOTH });
    const { sampled } = clientAnswers(gw);
    expect(
      textOf(await call(gw, 'schedule_sampling', { system: 'injection', prompt: 'weather_prompt', delayMs: 50 })),
    ).toBe('scheduled');
    let outcome = 'pending';
    for (let i = 0; i < 200 && outcome === 'pending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      outcome = textOf(await call(gw, 'last_unprompted'));
    }
    expect(outcome).toMatch(/blocked by output guardrail injection\./);
    expect(sampled).toEqual([]);

    await call(gw, 'schedule_sampling', { system: 'weather_system', prompt: 'weather_prompt', delayMs: 50 });
    await waitFor(() => (sampled.length === 1 ? true : undefined));
    expect(sampled[0]!._meta?.['secure-mcp-gateway/server']).toBe('relay');
  });

  it('with approve: asks the user first, relays on yes, refuses on no, and refuses a client that cannot ask', async () => {
    gw = await startGateway(config({ sampling: 'approve' }), { capabilities: BOTH });
    const decisions = ['allow_once', 'deny'];
    const { sampled, elicited } = clientAnswers(gw, {
      elicit: () => ({ action: 'accept', content: { decision: decisions.shift() ?? 'deny' } }),
    });
    const yes = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(yes.isError ?? false, textOf(yes)).toBe(false);
    expect(elicited).toHaveLength(1);
    expect(elicited[0]!.message).toContain('"relay"');
    expect(sampled).toHaveLength(1);
    const no = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(textOf(no)).toContain('relay.approval-declined');
    expect(sampled).toHaveLength(1);
    const records = await waitFor(() => (relayRecords(gw!).length >= 2 ? relayRecords(gw!) : undefined));
    expect(records.map((r) => r.decision)).toEqual(['allowed', 'denied']);
    expect((await gw.closeStdin()).code).toBe(0);

    gw = await startGateway(config({ sampling: 'approve' }), { capabilities: { sampling: {} } });
    const only = clientAnswers(gw, {}, { sampling: {} });
    const r = await call(gw, 'ask_model', { system: 'weather_system', prompt: 'weather_prompt' });
    expect(textOf(r)).toContain('relay.approval-unavailable');
    expect(only.sampled).toEqual([]);
  });
});

describe('log messages, completions and prompt arguments', () => {
  it('withholds a log message that carries an injection and relays a clean one', async () => {
    gw = await startGateway(config(), { capabilities: BOTH });
    const logged: unknown[] = [];
    gw.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logged.push(n.params));
    await call(gw, 'log', { text: 'injection' });
    await call(gw, 'log', { text: 'cache_note' });
    await waitFor(() => (logged.length >= 2 ? true : undefined));
    expect(logged[0]).toEqual({
      level: 'info',
      logger: 'relay',
      data: expect.stringMatching(/withheld: blocked by output guardrail injection\./) as unknown,
    });
    expect(logged[1]).toEqual({ level: 'info', logger: 'relay__relay', data: 'cache warmed in 12 ms' });
    expect(JSON.stringify(logged)).not.toContain('evil.example.com');
  });

  it('leaves a completion value that carries an injection out of the list', async () => {
    gw = await startGateway(config(), { capabilities: BOTH });
    for (let i = 0; i < 2; i++) {
      const r = await gw.client.request(
        {
          method: 'completion/complete',
          params: { ref: { type: 'ref/prompt', name: 'relay__greet' }, argument: { name: 'name', value: 'al' } },
        },
        CompleteResultSchema,
      );
      expect(r.completion.values).toEqual(['alice', 'albert', 'alfred']);
    }
  });

  it('runs the input guardrails over prompt arguments before the upstream sees them', async () => {
    gw = await startGateway(config(), { capabilities: BOTH });
    const err = await gw.client
      .getPrompt({ name: 'relay__greet', arguments: { name: `bob ${TOKEN}` } })
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/blocked by input guardrail secrets\./);
    expect(textOf(await call(gw, 'last_prompt_args'))).toBe('null');
    const ok = await gw.client.getPrompt({ name: 'relay__greet', arguments: { name: 'bob' } });
    expect(JSON.stringify(ok.messages)).toContain('Say hello to bob.');
  });
});
