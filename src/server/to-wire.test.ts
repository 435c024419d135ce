import { describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../errors.js';
import { toWireError } from './to-wire.js';

describe('toWireError', () => {
  it.each([
    [-32002, -32002],
    [1234, 1234],
    // Found by fuzzing: codes a client's schema rejects would make it drop the answer and hang until its timeout.
    [-1.797693134862315e308, ErrorCode.InternalError],
    [1.5, ErrorCode.InternalError],
    [Number.NaN, ErrorCode.InternalError],
  ])("passes an upstream's code %s on as %s", (code, wire) => {
    const upstream = new GatewayError('UPSTREAM_ERROR', 'upstream "x": no', { upstreamCode: code });
    expect(toWireError(upstream).code).toBe(wire);
    expect(toWireError(upstream).code).toBe(wire);
    expect(toWireError(new McpError(code, 'no')).code).toBe(wire);
  });

  it('strips the SDK prefix from a message whatever the code', () => {
    expect(toWireError(new McpError(-1.5e300, 'bad thing')).message).toBe('bad thing');
    expect(toWireError(new McpError(-32000, 'bad thing')).message).toBe('bad thing');
  });
});
