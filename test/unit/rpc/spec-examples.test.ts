import { expect } from 'chai';
import { z } from 'zod';
import { RpcEngine } from '../../../src/rpc/engine.js';
import { defineMethod } from '../../../src/schemas/method.js';
import { memorySession, recordingLog } from '../../support/in-memory-session.js';

/**
 * Every example of §7 of the JSON-RPC 2.0 specification, run against the real engine with the
 * specification's own methods (subtract, sum, update, notify_hello, get_data).
 */
const all = ['agent', 'operator', 'admin'] as const;
const pair = z.tuple([z.number(), z.number()]);
const subtract = defineMethod({
  name: 'subtract',
  summary: 'minuend - subtrahend',
  roles: all,
  params: z.union([pair, z.object({ minuend: z.number(), subtrahend: z.number() })]),
  result: z.number(),
});
const numbers = z.array(z.number());
const sum = defineMethod({ name: 'sum', summary: 'sum', roles: all, params: numbers, result: z.number() });
const update = defineMethod({ name: 'update', summary: 'update', roles: all, params: numbers, result: z.null() });
const notifyHello = defineMethod({ name: 'notify_hello', summary: 'hello', roles: all, params: numbers, result: z.null() });
const getData = defineMethod({ name: 'get_data', summary: 'data', roles: all, params: z.object({}), result: z.tuple([z.string(), z.number()]) });

export function specEngine(): { engine: RpcEngine; updates: unknown[] } {
  const updates: unknown[] = [];
  const engine = new RpcEngine({ log: recordingLog() }, { maxBatch: 1000, validateResults: true });
  engine.register(subtract, (p) => (Array.isArray(p) ? p[0] - p[1] : p.minuend - p.subtrahend));
  engine.register(sum, (p) => p.reduce((a, b) => a + b, 0));
  engine.register(update, (p) => {
    updates.push(p);
    return null;
  });
  engine.register(notifyHello, () => null);
  engine.register(getData, () => ['hello', 5] as [string, number]);
  return { engine, updates };
}

/** Drop `error.data` (optional in the specification, present in our replies) before comparing. */
function withoutData(reply: unknown): unknown {
  if (Array.isArray(reply)) return reply.map(withoutData);
  if (reply && typeof reply === 'object' && 'error' in reply) {
    const r = reply as { error: { code: number; message: string } };
    return { ...r, error: { code: r.error.code, message: r.error.message } };
  }
  return reply;
}

export const SPEC_EXAMPLES: { name: string; send: string; expect: unknown }[] = [
  { name: 'positional params', send: '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}', expect: { jsonrpc: '2.0', result: 19, id: 1 } },
  {
    name: 'positional params, reversed',
    send: '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}',
    expect: { jsonrpc: '2.0', result: -19, id: 2 },
  },
  {
    name: 'named params',
    send: '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
    expect: { jsonrpc: '2.0', result: 19, id: 3 },
  },
  {
    name: 'named params, other order',
    send: '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
    expect: { jsonrpc: '2.0', result: 19, id: 4 },
  },
  { name: 'a notification', send: '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', expect: undefined },
  { name: 'a notification of an unknown method', send: '{"jsonrpc": "2.0", "method": "foobar"}', expect: undefined },
  {
    name: 'non-existent method',
    send: '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
    expect: { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: '1' },
  },
  {
    name: 'invalid JSON',
    send: '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
    expect: { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null },
  },
  {
    name: 'invalid Request object',
    send: '{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
    expect: { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
  },
  {
    name: 'batch, invalid JSON',
    send: '[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]',
    expect: { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null },
  },
  { name: 'empty array', send: '[]', expect: { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null } },
  { name: 'invalid batch, not empty', send: '[1]', expect: [{ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null }] },
  {
    name: 'invalid batch',
    send: '[1,2,3]',
    expect: [1, 2, 3].map(() => ({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null })),
  },
  {
    name: 'rpc call batch',
    send: `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`,
    expect: [
      { jsonrpc: '2.0', result: 7, id: '1' },
      { jsonrpc: '2.0', result: 19, id: '2' },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: '5' },
      { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
    ],
  },
  {
    name: 'rpc call batch, all notifications',
    send: '[\n {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},\n {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}\n]',
    expect: undefined,
  },
];

describe('JSON-RPC 2.0 specification §7 examples (engine)', () => {
  for (const example of SPEC_EXAMPLES) {
    it(example.name, async () => {
      const { engine } = specEngine();
      const { session } = memorySession();
      const reply = await engine.handleText(example.send, session);
      if (example.expect === undefined) expect(reply).to.equal(undefined);
      else expect(withoutData(JSON.parse(reply!))).to.deep.equal(example.expect);
    });
  }

  it('runs the handler of a notification without replying', async () => {
    const { engine, updates } = specEngine();
    const { session } = memorySession();
    await engine.handleText('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', session);
    expect(updates).to.deep.equal([[1, 2, 3, 4, 5]]);
  });
});
