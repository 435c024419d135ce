/**
 * Rate limits through the real gateway (issue 4: "the limit holds exactly under 50 concurrent calls"): 50 calls sent
 * at once to a tool or server with a burst of N let exactly N through, the rest are tool errors that name the rule
 * and say when to retry, and the recording fixture proves that the upstream saw exactly N calls.
 */
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { fixtureServer, nonJsonRpcLines, startGateway, tempDir, textOf, recorded } from '../helpers/gateway.js';

function tricky(record: string, extra: object = {}) {
  return { ...fixtureServer('tricky-server.ts'), env: { RECORD_FILE: record }, ...extra };
}

const verdictOf = (r: CallToolResult) => r._meta?.['secure-mcp-gateway/verdict'] as { ruleId?: string } | undefined;

describe('rate limits end to end', () => {
  it('lets exactly the burst of a tool limit through among 50 concurrent calls', async () => {
    const home = tempDir();
    const record = path.join(home, 'rec.jsonl');
    const gw = await startGateway(
      {
        servers: { tricky: tricky(record, { toolPolicies: { echo: 'limited' } }) },
        policies: { limited: { rateLimit: { perMinute: 10, burst: 10 } } },
      },
      { home },
    );
    const results = (await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        gw.client.callTool({ name: 'tricky__echo', arguments: { text: `call ${i}` } }),
      ),
    )) as CallToolResult[];

    const passed = results.filter((r) => !r.isError);
    const limited = results.filter((r) => r.isError);
    expect(passed).toHaveLength(10);
    for (const r of passed) expect(textOf(r)).toMatch(/^echo: call \d+$/);
    expect(limited).toHaveLength(40);
    for (const r of limited) {
      expect(textOf(r)).toMatch(
        /^blocked by parameter check rate-limit\.tool: rate limit of 10 calls per minute for tricky tool echo exceeded; retry in (6|[1-5](\.\d)?) s$/,
      );
      expect(verdictOf(r)).toMatchObject({ ruleId: 'rate-limit.tool', stage: 'rate-limit' });
    }
    // The upstream saw exactly the ten calls that passed, and no others.
    const seen = recorded(record);
    expect(seen).toHaveLength(10);
    expect(new Set(seen.map((s) => `echo: ${String(s.args.text)}`))).toEqual(new Set(passed.map(textOf)));
    // A tool under another policy has no tool limit: the same server's report tool still answers.
    const other = await gw.client.callTool({ name: 'tricky__report', arguments: {} });
    expect(textOf(other)).not.toContain('rate-limit');
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('holds a server limit across all of its tools among 50 concurrent calls', async () => {
    const home = tempDir();
    const record = path.join(home, 'rec.jsonl');
    const gw = await startGateway(
      { servers: { tricky: tricky(record, { rateLimit: { perMinute: 6, burst: 6 } }) } },
      { home },
    );
    // Half to echo, half to fetch_page: one bucket for the server, whichever tool is called.
    const results = (await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? gw.client.callTool({ name: 'tricky__echo', arguments: { text: `call ${i}` } })
          : gw.client.callTool({ name: 'tricky__fetch_page', arguments: {} }),
      ),
    )) as CallToolResult[];

    const limited = results.filter((r) => verdictOf(r)?.ruleId === 'rate-limit.server');
    expect(limited).toHaveLength(44);
    for (const r of limited)
      expect(textOf(r)).toMatch(
        /^blocked by parameter check rate-limit\.server: rate limit of 6 calls per minute for server tricky exceeded; retry in (10|\d(\.\d)?) s$/,
      );
    // Six calls reached the upstream (the fetch_page ones among them are then blocked by the output guardrail).
    expect(recorded(record)).toHaveLength(6);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
