/**
 * Annotations and approvals through the real gateway, with server-memory as the upstream: a policy that says
 * `destructive: approve` makes the gateway ask the user through MCP elicitation inside the pending tools/call. A
 * real SDK client answers allow once, deny, decline and allow for this session, and the memory file shows which
 * deletes happened. A client without elicitation is denied with guidance; an override makes a tool destructive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  nonJsonRpcLines,
  npmServer,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';

function setup() {
  const home = tempDir();
  const file = path.join(home, 'memory.jsonl');
  const config = {
    servers: {
      memory: {
        command: process.execPath,
        args: [npmServer('memory')],
        env: { MEMORY_FILE_PATH: file },
        policy: 'careful',
        // server-memory says create_relations is additive; the user says otherwise.
        annotations: { create_relations: { destructive: true } },
      },
    },
    policies: { careful: { annotations: { destructive: 'approve' } } },
  };
  return { home, file, config };
}

/** The entity names in server-memory's file: what the upstream really did. */
function entities(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; name?: string })
    .filter((e) => e.type === 'entity')
    .map((e) => e.name!);
}

async function create(gw: SpawnedGateway, ...names: string[]) {
  const r = await gw.client.callTool({
    name: 'memory__create_entities',
    arguments: { entities: names.map((name) => ({ name, entityType: 'thing', observations: [] })) },
  });
  expect(r.isError ?? false, textOf(r)).toBe(false);
}

const remove = (gw: SpawnedGateway, ...names: string[]) =>
  gw.client.callTool({ name: 'memory__delete_entities', arguments: { entityNames: names } });

describe('approvals end to end', () => {
  it('asks before a destructive call and runs it only when the user allows it', async () => {
    const { home, file, config } = setup();
    const gw = await startGateway(config, { home, capabilities: { elicitation: {} } });
    const asked: ElicitRequest['params'][] = [];
    const answers: ElicitResult[] = [
      { action: 'accept', content: { decision: 'allow_once' } },
      { action: 'accept', content: { decision: 'deny' } },
      { action: 'decline' },
      { action: 'accept', content: { decision: 'allow_session' } },
    ];
    gw.client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params);
      return answers.shift() ?? { action: 'cancel' };
    });

    // Additive and closed-world ("other"): allowed without asking.
    await create(gw, 'alpha', 'beta', 'gamma', 'delta');
    expect(asked).toHaveLength(0);

    const once = await remove(gw, 'alpha');
    expect(once.isError ?? false, textOf(once)).toBe(false);
    expect(entities(file)).toEqual(['beta', 'gamma', 'delta']);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toMatch(/memory tool delete_entities is destructive/);
    expect(asked[0]!.message).toContain('Tool: memory__delete_entities');
    expect(asked[0]!.message).toContain('Arguments: {"entityNames":["alpha"]}');
    expect(asked[0]).toMatchObject({
      mode: 'form',
      requestedSchema: {
        properties: { decision: { enum: ['allow_once', 'allow_session', 'deny'] } },
        required: ['decision'],
      },
    });

    const denied = await remove(gw, 'beta');
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/^blocked by parameter check approval\.denied: memory tool delete_entities/);
    const declined = await remove(gw, 'beta');
    expect(textOf(declined)).toMatch(/^blocked by parameter check approval\.denied/);
    expect(entities(file)).toEqual(['beta', 'gamma', 'delta']);

    // "Allow for this session": this call and the next go through, and only this one asks.
    const session = await remove(gw, 'beta');
    expect(session.isError ?? false, textOf(session)).toBe(false);
    const remembered = await remove(gw, 'gamma');
    expect(remembered.isError ?? false, textOf(remembered)).toBe(false);
    expect(entities(file)).toEqual(['delta']);
    expect(asked).toHaveLength(4);

    // The override: create_relations asks too, and a cancelled form is a deny.
    const rel = await gw.client.callTool({
      name: 'memory__create_relations',
      arguments: { relations: [{ from: 'delta', to: 'delta', relationType: 'self' }] },
    });
    expect(textOf(rel)).toMatch(/^blocked by parameter check approval\.denied: .*per servers\.memory\.annotations/);
    expect(asked).toHaveLength(5);

    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);

    // Every answer is in the log (written asynchronously, so read once the gateway has exited).
    const answered = () =>
      gw
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"approval answered"'))
        .map((l) => (JSON.parse(l) as { approval: { answer: string } }).approval.answer);
    await waitFor(() => answered().length >= 5);
    expect(answered()).toEqual(['once', 'deny', 'deny', 'session', 'deny']);
    // And in the audit log, each question and answer tied to its call.
    const audit = fs
      .readFileSync(path.join(home, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; event?: string; answer?: string; callId?: string; tool?: string });
    const approvals = audit.filter((r) => r.kind === 'approval');
    expect(approvals.map((r) => r.answer ?? r.event)).toEqual(
      ['once', 'deny', 'deny', 'session', 'deny'].flatMap((a) => ['asked', a]),
    );
    const calls = new Set(audit.filter((r) => r.kind === 'call').map((r) => r.callId));
    expect(approvals.every((r) => calls.has(r.callId))).toBe(true);
  });

  it('stops asking when the client cancels the pending call', async () => {
    const { home, file, config } = setup();
    const gw = await startGateway(config, { home, capabilities: { elicitation: {} } });
    let asked = 0;
    let abandoned = false;
    gw.client.setRequestHandler(ElicitRequestSchema, (_req, extra) => {
      // The first request is answered: the SDK's client ignores notifications/cancelled for request id 0
      // (`if (!requestId) return` in Protocol._oncancel), and the gateway's first request to the client has id 0.
      if (asked++ === 0) return { action: 'accept', content: { decision: 'allow_once' } };
      return new Promise<ElicitResult>((resolve) =>
        extra.signal.addEventListener('abort', () => {
          abandoned = true;
          resolve({ action: 'cancel' });
        }),
      );
    });
    await create(gw, 'alpha', 'beta');
    expect((await remove(gw, 'alpha')).isError ?? false).toBe(false);
    const controller = new AbortController();
    const pending = gw.client.callTool(
      { name: 'memory__delete_entities', arguments: { entityNames: ['beta'] } },
      undefined,
      { signal: controller.signal },
    );
    await waitFor(() => asked === 2);
    controller.abort('changed my mind');
    await expect(pending).rejects.toThrow();
    await waitFor(() => abandoned);
    expect(entities(file)).toEqual(['beta']);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('denies with guidance when the client does not support elicitation', async () => {
    const { home, file, config } = setup();
    const gw = await startGateway(config, { home });
    await create(gw, 'alpha');
    const r = await remove(gw, 'alpha');
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toMatch(
      /^blocked by parameter check approval\.unsupported: memory tool delete_entities is destructive/,
    );
    expect(text).toContain('this client does not support MCP elicitation');
    expect(text).toContain('set policies.careful.annotations.destructive to "allow"');
    expect(text).toContain('servers.memory.annotations, e.g. {"delete_entities": {"destructive": false}}');
    expect(entities(file)).toEqual(['alpha']);
    // Read-only tools are not affected.
    const graph = await gw.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(graph.isError ?? false).toBe(false);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
