/**
 * Fuzzing upstream → gateway results and notifications (fast-check, seeded; issue 9). The upstream
 * (test/fixtures/fuzz-upstream-server.ts) answers each call with a generated scenario: valid and invalid results,
 * malformed errors, noise lines, stray notifications and server→client requests, duplicate and mis-typed answers,
 * deep nesting, megabytes of text, or silence. The rules: every call gets exactly one answer that the SDK client
 * accepts (a valid CallToolResult or a JSON-RPC error from the gateway; never a client-side timeout or a result the
 * client cannot parse); the gateway keeps serving, writes nothing but JSON-RPC, and exits 0 leaving no child.
 * FUZZ_SEED and FUZZ_RUNS reproduce or widen a run; a failing call names its n, which replays its scenario.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  alive,
  fixtureServer,
  nonJsonRpcLines,
  processTree,
  startGateway,
  type SpawnedGateway,
} from '../helpers/gateway.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const CALLS = Number(process.env.FUZZ_RUNS ?? 120);
const CONCURRENCY = 8;

describe('fuzzing upstream answers through the built gateway', () => {
  let gw: SpawnedGateway | undefined;

  afterAll(() => {
    if (gw && gw.proc.exitCode === null) gw.proc.kill('SIGKILL');
  });

  it(`answers each of ${CALLS} calls exactly once with something the client accepts`, async () => {
    gw = await startGateway(
      {
        servers: {
          fuzz: { ...fixtureServer('fuzz-upstream-server.ts'), env: { FUZZ_SEED: String(SEED) }, timeoutMs: 1500 },
        },
        // A valid result with content the detectors flag is a block; the point here is the protocol, not the text.
        policies: { default: { output: { injection: 'warn', pii: 'warn', secrets: 'warn', keywords: 'off' } } },
      },
      { env: { SMG_LOG_LEVEL: 'warn' } },
    );
    const g = gw;
    const { tools } = await g.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['fuzz__fuzz']);
    const descendants = processTree(g.proc.pid!);

    const outcomes: { n: number; kind: 'result' | 'error' | 'bad'; detail: string }[] = [];
    let next = 0;
    const worker = async () => {
      for (let n = next++; n < CALLS; n = next++) {
        try {
          const result = await g.client.request(
            { method: 'tools/call', params: { name: 'fuzz__fuzz', arguments: { n } } },
            CallToolResultSchema,
            { timeout: 60_000 },
          );
          outcomes.push({ n, kind: 'result', detail: result.isError ? 'isError' : 'ok' });
        } catch (error) {
          const gatewayError = error instanceof McpError && !/Request timed out$/.test(error.message);
          outcomes.push({ n, kind: gatewayError ? 'error' : 'bad', detail: String(error).slice(0, 300) });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(outcomes).toHaveLength(CALLS);
    expect(outcomes.filter((o) => o.kind === 'bad')).toEqual([]);
    // The scenarios cover both sides: some calls succeed, some are errors.
    expect(outcomes.filter((o) => o.kind === 'result').length).toBeGreaterThan(CALLS / 5);
    expect(outcomes.filter((o) => o.kind === 'error').length).toBeGreaterThan(0);

    // Still serving, and still clean on the wire.
    expect((await g.client.listTools()).tools).toHaveLength(1);
    expect(nonJsonRpcLines(g.stdoutLines)).toEqual([]);
    const { code } = await g.closeStdin();
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(descendants.filter(alive)).toEqual([]);
  }, 300_000);
});
