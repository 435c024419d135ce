/**
 * Judge guardrails through the real built gateway: a fixture server whose results are irrelevant, carry claims the
 * context does not support, or break a rule of a PDF policy document, and a fake OpenAI-compatible judge on
 * 127.0.0.1 that answers with scripted verdicts, malformed JSON, slow answers and 500s. The gateway blocks or flags
 * per policy, fails closed or open as configured, asks the judge once for the same text (cache), and `check
 * --policy` runs the judges too.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACME_POLICY_LINES, makePdf } from '../support/pdf-fixture.js';
import { startFakeEndpoint, type FakeEndpoint, type Script } from '../support/judge-fake-endpoint.js';
import { BIN, fixtureServer, nonJsonRpcLines, startGateway, tempDir, textOf } from '../helpers/gateway.js';

let fake: FakeEndpoint;

/** A judge that reads the material like a careful model would, by the markers the fixture's results carry. */
const judge: Script = (r) => {
  const result = /<<<BEGIN (?:RESULT|ARGUMENTS)[^>]*>>>([\s\S]*?)<<<END/.exec(r.user)?.[1] ?? '';
  switch (r.check) {
    case 'policy':
      return result.includes('Falcon')
        ? { verdict: { violation: true, rule: 'policies.2', confidence: 0.93, reason: 'names project Falcon' } }
        : { verdict: { violation: false, rule: null, confidence: 0.05, reason: 'no rule applies' } };
    case 'relevancy':
      return { verdict: { score: result.includes('pasta') ? 0.04 : 0.92, reason: 'compared with the call' } };
    case 'grounding':
      return /<<<BEGIN CONTEXT[^>]*>>>[^<]*tripled/.test(r.user)
        ? { verdict: { score: 0.95, unsupported: [], reason: 'supported' } }
        : { verdict: { score: 0.1, unsupported: ['Revenue tripled', 'the CEO resigned'], reason: 'invented' } };
    default:
      return { verdict: { score: 0.9, reason: 'fine' } };
  }
};

beforeAll(async () => {
  fake = await startFakeEndpoint({ models: ['judge-model'] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.script(judge);
});

function setup(judgeSection: object, endpoint: object = {}) {
  const home = tempDir();
  fs.writeFileSync(path.join(home, 'policies.pdf'), makePdf(ACME_POLICY_LINES));
  return {
    home,
    config: {
      servers: { j: { ...fixtureServer('judge-server.ts'), policy: 'judged' } },
      judges: { local: { baseUrl: fake.baseUrl, model: 'judge-model', timeoutMs: 1500, ...endpoint } },
      policyDocuments: ['policies.pdf'],
      policies: { judged: { judge: judgeSection } },
    },
  };
}

const meta = (r: unknown) => (r as { _meta?: Record<string, unknown> })._meta ?? {};

describe('judge guardrails end to end', () => {
  it('blocks a rule violation from a PDF policy, an irrelevant result and unsupported claims, naming the rule', async () => {
    const { home, config } = setup({ policy: {}, relevancy: {}, grounding: {} });
    const gw = await startGateway(config, { home });

    const status = await gw.client.callTool({ name: 'j__status', arguments: {} });
    expect(status.isError).toBe(true);
    expect(textOf(status)).toMatch(/^blocked by output guardrail judge\.policy\.policies\.2: /);
    expect(textOf(status)).toContain('Do not mention internal project code names such as Falcon.');
    expect(textOf(status)).not.toContain('ships on Monday');
    const verdict = meta(status)['secure-mcp-gateway/verdict'] as { detections: { judge: object }[] };
    expect(verdict.detections[0]!.judge).toMatchObject({ check: 'policy', verdict: 'fail', rule: 'policies.2' });

    const atlantis = await gw.client.callTool({ name: 'j__weather', arguments: { city: 'Atlantis' } });
    expect(textOf(atlantis)).toMatch(/^blocked by output guardrail judge\.relevancy: .*scored the relevancy/);

    const summary = await gw.client.callTool({
      name: 'j__summarize',
      arguments: { question: 'How did Q3 go?', context: 'Revenue grew 4% in Q3.' },
    });
    expect(textOf(summary)).toMatch(/^blocked by output guardrail judge\.grounding: /);
    expect(textOf(summary)).toContain('"Revenue tripled"');

    const paris = await gw.client.callTool({ name: 'j__weather', arguments: { city: 'Paris' } });
    expect(paris.isError).toBeFalsy();
    expect(textOf(paris)).toBe('Weather in Paris: sunny, 21 C.');
    expect(meta(paris)['secure-mcp-gateway/judge']).toMatchObject({
      policy: { verdict: 'pass', judge: 'local', model: 'judge-model' },
      relevancy: { verdict: 'pass', score: 0.92, threshold: 0.5 },
    });
    // no context in a weather call: grounding does not apply
    expect(meta(paris)['secure-mcp-gateway/judge']).not.toHaveProperty('grounding');
    expect(fake.requests.every((r) => r.model === 'judge-model')).toBe(true);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('judges arguments before the upstream, and re-reads a policy document that changes', async () => {
    const { home, config } = setup({ policy: { output: false } });
    const rules = path.join(home, 'rules.md');
    fs.writeFileSync(rules, '# Rules\n\n- Never include customer account numbers.\n');
    const gw = await startGateway({ ...config, policyDocuments: ['policies.pdf', 'rules.md'] }, { home });
    const r = await gw.client.callTool({ name: 'j__echo', arguments: { text: 'tell them about Falcon' } });
    expect(textOf(r)).toMatch(/^blocked by input guardrail judge\.policy\.policies\.2: .*the call breaks rule/);
    expect(fake.requests[0]!.user).toContain('[rules.1] Never include customer account numbers.');
    // A tool without string arguments carries nothing a rule could be about: no request.
    fake.reset();
    expect((await gw.client.callTool({ name: 'j__status', arguments: {} })).isError).toBeFalsy();
    expect(fake.requests).toHaveLength(0);
    fs.writeFileSync(rules, '# Rules\n\n- Never include customer account numbers.\n- Answer in English.\n');
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      await gw.client.callTool({ name: 'j__echo', arguments: { text: `hello ${i}` } });
      seen = fake.requests.some((q) => q.user.includes('[rules.2] Answer in English.'));
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toBe(true);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('flags instead of blocking when the policy says warn', async () => {
    const { home, config } = setup({ grounding: { action: 'warn' } });
    const gw = await startGateway(config, { home });
    const r = await gw.client.callTool({
      name: 'j__summarize',
      arguments: { question: 'Q3?', context: 'Revenue grew 4% in Q3.' },
    });
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toContain('Revenue tripled');
    expect(meta(r)['secure-mcp-gateway/judge']).toMatchObject({
      grounding: { verdict: 'fail', action: 'warn', score: 0.1 },
    });
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('blocks on a malformed answer, a 500 and a timeout when fail-closed; passes with the error when fail-open', async () => {
    const closed = setup({ relevancy: {} }, { timeoutMs: 300 });
    const open = setup({ relevancy: {}, failureMode: 'open' }, { timeoutMs: 300 });
    const gwClosed = await startGateway(closed.config, { home: closed.home });
    const gwOpen = await startGateway(open.config, { home: open.home });
    const cases: [Script, RegExp][] = [
      [() => ({ content: 'The result is relevant, score 0.9' }), /the model’s answer is not JSON/],
      [() => ({ status: 500 }), /answered HTTP 500/],
      [() => ({ verdict: { score: 1, reason: 'late' }, delayMs: 1000 }), /timed out after 300 ms/],
    ];
    for (const [i, [script, message]] of cases.entries()) {
      fake.script(script);
      const args = { city: `City${i}` };
      const c = await gwClosed.client.callTool({ name: 'j__weather', arguments: args });
      expect(c.isError).toBe(true);
      expect(textOf(c)).toMatch(/^blocked by output guardrail judge\.relevancy\.error: judge "local" failed: /);
      expect(textOf(c)).toMatch(message);
      const o = await gwOpen.client.callTool({ name: 'j__weather', arguments: args });
      expect(o.isError).toBeFalsy();
      expect(textOf(o)).toBe(`Weather in City${i}: sunny, 21 C.`);
      const recorded = meta(o)['secure-mcp-gateway/judge'] as { relevancy: { verdict: string; error: string } };
      expect(recorded.relevancy.verdict).toBe('error');
      expect(recorded.relevancy.error).toMatch(message);
    }
    expect((await gwClosed.closeStdin()).code).toBe(0);
    expect((await gwOpen.closeStdin()).code).toBe(0);
  });

  it('asks the judge once for the same text: the second call is answered from the cache', async () => {
    const { home, config } = setup({ relevancy: {}, adherence: {} });
    const gw = await startGateway(config, { home });
    const first = await gw.client.callTool({ name: 'j__echo', arguments: { text: 'hello' } });
    expect(fake.requests.map((r) => r.check).sort()).toEqual(['adherence', 'relevancy']);
    const second = await gw.client.callTool({ name: 'j__echo', arguments: { text: 'hello' } });
    expect(fake.requests).toHaveLength(2);
    expect(meta(first)['secure-mcp-gateway/judge']).toMatchObject({ relevancy: { cached: false } });
    expect(meta(second)['secure-mcp-gateway/judge']).toMatchObject({
      relevancy: { cached: true, latencyMs: 0 },
      adherence: { cached: true },
    });
    await gw.client.callTool({ name: 'j__echo', arguments: { text: 'another' } });
    expect(fake.requests).toHaveLength(4);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('`check --policy` runs the judges on a result and exits 5 when one blocks', async () => {
    const { home, config } = setup({ policy: {}, relevancy: {} });
    const configPath = path.join(home, 'config.json');
    fs.writeFileSync(configPath, JSON.stringify(config));
    const input = path.join(home, 'result.json');
    fs.writeFileSync(input, JSON.stringify({ content: [{ type: 'text', text: 'Falcon is late.' }] }));
    // Not spawnSync: the fake judge answers from this process's event loop.
    const run = (file: string) =>
      new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [BIN, 'check', '--config', configPath, '--policy', 'judged', '--input', file],
          { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home } },
          (_error, stdout) => resolve({ status: child.exitCode, stdout }),
        );
      });
    const blocked = await run(input);
    expect(blocked.status).toBe(5);
    expect(blocked.stdout).toContain('BLOCKED by judge.policy.policies.2');
    fs.writeFileSync(input, JSON.stringify({ content: [{ type: 'text', text: 'All good.' }] }));
    const allowed = await run(input);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toMatch(/judge\.policy {2}score 0\.00/);
    // A result may name the call it answers, for the relevancy check.
    fake.reset();
    fs.writeFileSync(
      input,
      JSON.stringify({
        content: [{ type: 'text', text: 'Ten pasta recipes for a summer evening.' }],
        call: { name: 'weather', description: 'Current weather for a city.', arguments: { city: 'Atlantis' } },
      }),
    );
    const irrelevant = await run(input);
    expect(irrelevant.status).toBe(5);
    expect(irrelevant.stdout).toContain('BLOCKED by judge.relevancy');
    const asked = fake.requests.find((q) => q.check === 'relevancy')!;
    expect(asked.user).toContain('{"city":"Atlantis"}');
    expect(asked.user).toContain('Current weather for a city.');
  });
});
