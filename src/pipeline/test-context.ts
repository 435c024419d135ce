/** A CallContext for unit tests of stages and the runner. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../log.js';
import { createSession, emptyServerPolicy } from './session.js';
import { LOCAL_PRINCIPAL, type CallContext, type ToolCall } from './types.js';
import { RedactionVault } from './vault.js';

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
