import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { ID_SCAN_BYTES, isJsonRpcMessage, recoverRequestId, refuseBatch } from './jsonrpc.js';

describe('isJsonRpcMessage agrees with the SDK schema', () => {
  it.each([
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'bad' } },
    { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'bad', data: { x: 1 } } },
    { jsonrpc: '1.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: { x: 1 }, method: 'ping' },
    { jsonrpc: '2.0', id: 1.5, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 5 },
    { jsonrpc: '2.0', id: 1, method: 'x', params: [1, 2] },
    { jsonrpc: '2.0', id: 1 },
    { jsonrpc: '2.0', id: 1, result: 5 },
    { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'bad' } },
    { jsonrpc: '2.0', id: null, error: { code: 1, message: 'bad' } },
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
    'string',
    42,
    null,
  ])('%j', (v) => {
    const sdk = JSONRPCMessageSchema.safeParse(v).success;
    expect(isJsonRpcMessage(v)).toBe(sdk);
    expect(isJsonRpcMessage(v)).toBe(sdk);
  });
});

describe('recoverRequestId reads the top-level id of a request from a frame prefix', () => {
  const big = 'x'.repeat(1000);
  it.each([
    // the SDK's own key order, cut anywhere after the method
    [`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"a":"${big}`, 7],
    [`{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"a":"${big}`, 'abc'],
    [`{ "jsonrpc" : "2.0" ,\n "id" : -3 , "method":"x","params":[1,2,{"id":9}`, -3],
    [`{"method":"x","id":7e0,"params":{`, 7],
    [`{"method":"x","id":"a\\"b}","params":{`, 'a"b}'],
    [`{"\\u0069d":12,"method":"x","params":{"`, 12],
    // nested ids are never taken, whatever their depth or the strings around them
    [`{"jsonrpc":"2.0","method":"x","params":{"id":5,"a":"${big}`, undefined],
    [`{"jsonrpc":"2.0","method":"x","params":{"s":"}\\"{","id":5},"meta":[{"id":6}],"p":"${big}`, undefined],
    [`{"params":[["{"],{"id":4}],"method":"x","a":"`, undefined],
    // cut inside the id: never a shorter number or string
    [`{"jsonrpc":"2.0","method":"x","id":123`, undefined],
    [`{"jsonrpc":"2.0","method":"x","id":"ab`, undefined],
    // no method seen, or a response: its id belongs to the gateway's request, not the client's
    [`{"jsonrpc":"2.0","id":7,"params":{"a":"${big}`, undefined],
    [`{"jsonrpc":"2.0","id":7,"result":{"content":"${big}`, undefined],
    [`{"jsonrpc":"2.0","id":7,"method":"x","error":{"`, undefined],
    // ids an answer cannot carry
    [`{"id":1.5,"method":"x","params":{`, undefined],
    [`{"id":null,"method":"x","params":{`, undefined],
    [`{"id":{"a":1},"method":"x","params":{`, undefined],
    [`{"id":true,"method":"x","params":{`, undefined],
    // not an object, or not JSON
    [`[{"id":7,"method":"x"`, undefined],
    [`"id":7,"method":"x"`, undefined],
    [`{id:7,"method":"x"`, undefined],
    [`{"id" 7,"method":"x"`, undefined],
    [`{"bad\\q":1,"id":7,"method":"x","params":{`, undefined],
    ['', undefined],
  ])('%s → %j', (prefix, id) => {
    expect(recoverRequestId(prefix)).toBe(id);
    expect(recoverRequestId(prefix)).toBe(id);
  });

  // Held out: written after the scanner was done, and passed without a change to it.
  it.each([
    [`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"arguments":{"text":"\\\\"}, "more":"`, 42],
    [`{"id":0,"method":"x","params":{`, 0],
    [`{"id":"","method":"x","params":{`, ''],
    [`{"id":1e400,"method":"x","params":{`, undefined],
    [`{"id":3,"\\u006dethod":"x","params":{`, 3],
    [`{"method":"x","params":"\\"id\\":5","id":6,"a":"`, 6],
    [`\ufeff{"id":1,"method":"x","params":{`, undefined],
    [`{"id":[7],"method":"x","params":{`, undefined],
  ])('held out: %s → %j', (prefix, id) => {
    expect(recoverRequestId(prefix)).toBe(id);
    expect(recoverRequestId(prefix)).toBe(id);
  });

  it('reads no further than its budget', () => {
    const late = `{"method":"x","pad":"${'p'.repeat(ID_SCAN_BYTES)}","id":7,"params":{`;
    expect(recoverRequestId(late)).toBeUndefined();
    const early = `{"method":"x","id":7,"pad":"${'p'.repeat(ID_SCAN_BYTES)}"`;
    expect(recoverRequestId(early)).toBe(7);
  });
});

describe('refuseBatch', () => {
  it('answers each request by its id, drops notifications and responses, and gives junk one id-null answer', () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'two', method: 'tools/list' },
      { jsonrpc: '2.0', id: 3, result: {} },
      { jsonrpc: '2.0', id: 4, error: { code: 1, message: 'x' } },
      7,
      null,
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: 5 },
    ];
    for (let round = 0; round < 2; round++) {
      const r = refuseBatch(batch);
      expect(r.answers.map((a) => a.id)).toEqual([1, 'two', null]);
      expect(r.answers.every((a) => a.error.code === -32600)).toBe(true);
      expect(r).toMatchObject({ notifications: 1, responses: 2, invalid: 4 });
    }
  });

  it('answers an empty batch once with id null', () => {
    expect(refuseBatch([]).answers).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/batches/) } },
    ]);
  });
});
