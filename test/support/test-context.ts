/** A CallContext for unit tests of stages and the runner. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../../src/log.js';
import { createSession, emptyServerPolicy } from '../../src/pipeline/session.js';
import { LOCAL_PRINCIPAL, type CallContext, type ToolCall } from '../../src/pipeline/types.js';
import { RedactionVault } from '../../src/pipeline/vault.js';

export function testContext(tool: Partial<Tool> = {}, args: Record<string, unknown> = {}): CallContext {
  return {
    callId: 'test-call',
    server: 'srv',
    identity: 'local',
    principal: LOCAL_PRINCIPAL,
    session: createSession('test-session'),
    serverPolicy: emptyServerPolicy('/'),
    tool: { name: 'tool', inputSchema: { type: 'object' }, ...tool },
    arguments: args,
    signal: new AbortController().signal,
    log: silentLogger(),
    vault: new RedactionVault(),
    notes: new Map(),
  };
}

export function testCall(args: Record<string, unknown> = {}): ToolCall {
  return { exposedName: 'srv__tool', server: 'srv', tool: 'tool', arguments: args };
}
