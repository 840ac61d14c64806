import { expect } from 'chai';
import { z } from 'zod';
import { AppError } from '../../../src/errors.js';
import { RpcEngine } from '../../../src/rpc/engine.js';
import { defineMethod } from '../../../src/schemas/method.js';
import { memorySession, recordingLog } from '../../support/in-memory-session.js';

const echo = defineMethod({
  name: 'test.echo',
  summary: 'echo',
  roles: ['agent', 'operator', 'admin'],
  params: z.strictObject({ text: z.string().min(1), nested: z.object({ n: z.number().int() }).optional() }),
  result: z.object({ text: z.string() }),
});
const boom = defineMethod({ name: 'test.boom', summary: 'throws', roles: ['admin'], params: z.object({}), result: z.null() });
const app = defineMethod({ name: 'test.app', summary: 'app error', roles: ['admin'], params: z.object({}), result: z.null() });
const operatorOnly = defineMethod({ name: 'test.op', summary: 'operator', roles: ['operator'], params: z.object({}), result: z.null() });
const badResult = defineMethod({ name: 'test.bad', summary: 'bad result', roles: ['admin'], params: z.object({}), result: z.number() });

function engine(maxBatch = 1000) {
  const log = recordingLog();
  const calls: { method: string; outcome: string }[] = [];
  const e = new RpcEngine({ log, observer: { onCall: (method, outcome) => calls.push({ method, outcome }) } }, { maxBatch, validateResults: true });
  e.register(echo, (p) => ({ text: p.text }));
  e.register(boom, () => {
    throw new Error('secret internal detail /etc/passwd');
  });
  e.register(app, () => {
    throw new AppError('UNKNOWN_AGENT', 'agent a1 is not known', { agentId: 'a1' });
  });
  e.register(operatorOnly, () => null);
  e.register(badResult, () => 'not a number' as unknown as number);
  return { e, log, calls };
}

async function send(text: string, role: 'agent' | 'operator' | 'admin' = 'admin', maxBatch = 1000): Promise<any> {
  const { e } = engine(maxBatch);
  const { session } = memorySession(role);
  const reply = await e.handleText(text, session);
  return reply === undefined ? undefined : JSON.parse(reply);
}

const req = (o: object): string => JSON.stringify({ jsonrpc: '2.0', ...o });

describe('RpcEngine', () => {
  describe('request envelope (§4)', () => {
    it('echoes string, number and null ids', async () => {
      for (const id of ['abc', 7, 1.5, null]) {
        const r = await send(req({ id, method: 'test.echo', params: { text: 'x' } }));
        expect(r).to.deep.equal({ jsonrpc: '2.0', id, result: { text: 'x' } });
      }
    });

    it('refuses ids that are objects, arrays or booleans with id null', async () => {
      for (const id of [{}, [1], true]) {
        const r = await send(req({ id, method: 'test.echo', params: { text: 'x' } }));
        expect(r.error.code).to.equal(-32600);
        expect(r.id).to.equal(null);
      }
    });

    it('refuses a wrong or missing jsonrpc member, keeping a readable id', async () => {
      for (const text of ['{"jsonrpc":"1.0","id":3,"method":"test.echo"}', '{"id":3,"method":"test.echo"}', '{"jsonrpc":2,"id":3,"method":"x"}']) {
        const r = await send(text);
        expect(r).to.deep.include({ jsonrpc: '2.0', id: 3 });
        expect(r.error.code).to.equal(-32600);
        expect(r.error.data.reason).to.match(/jsonrpc/);
      }
    });

    it('refuses params that are neither object nor array', async () => {
      for (const params of ['bar', 3, null, true]) {
        const r = await send(req({ id: 1, method: 'test.echo', params }));
        expect(r.error.code, JSON.stringify(params)).to.equal(-32600);
      }
    });

    it('refuses non-object messages: numbers, strings, null', async () => {
      for (const text of ['1', '"x"', 'null', 'true']) {
        const r = await send(text);
        expect(r).to.deep.include({ id: null });
        expect(r.error.code).to.equal(-32600);
      }
    });

    it('answers an invalid message without id (it is not a notification)', async () => {
      const r = await send('{"jsonrpc":"2.0","method":42}');
      expect(r.error.code).to.equal(-32600);
    });
  });

  describe('methods', () => {
    it('treats Object.prototype names and reserved rpc.* names as unknown methods', async () => {
      for (const method of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'rpc.foo']) {
        const r = await send(req({ id: 1, method }));
        expect(r.error.code, method).to.equal(-32601);
      }
    });

    it('refuses to register a reserved rpc.* name other than rpc.discover, which it serves', async () => {
      const { e } = engine();
      const reserved = defineMethod({ name: 'rpc.foo', summary: 'reserved', roles: ['admin'], params: z.object({}), result: z.null() });
      expect(() => e.register(reserved, () => null)).to.throw(/reserved/);
      e.register(
        defineMethod({ name: 'rpc.discover', summary: 'discover', roles: ['admin'], params: z.object({}).optional(), result: z.string() }),
        () => 'doc',
      );
      const { session } = memorySession('admin');
      expect(JSON.parse((await e.handleText(req({ id: 1, method: 'rpc.discover' }), session))!).result).to.equal('doc');
      expect(JSON.parse((await e.handleText(req({ id: 2, method: 'rpc.foo' }), session))!).error.code).to.equal(-32601);
    });

    it('tells a method’s onInvalidParams of params that failed its schema, and still answers -32602', async () => {
      const { e } = engine();
      const seen: unknown[] = [];
      e.register(
        defineMethod({ name: 'test.counted', summary: 'counted', roles: ['admin'], params: z.strictObject({ n: z.number() }), result: z.null() }),
        () => null,
        {
          onInvalidParams: (params) => seen.push(params),
        },
      );
      const { session } = memorySession('admin');
      expect(JSON.parse((await e.handleText(req({ id: 1, method: 'test.counted', params: { n: 'x' } }), session))!).error.code).to.equal(-32602);
      expect(JSON.parse((await e.handleText(req({ id: 2, method: 'test.counted', params: { n: 1 } }), session))!).result).to.equal(null);
      expect(seen).to.deep.equal([{ n: 'x' }]);
    });

    it('never answers a notification, even for an unknown method or a failing handler', async () => {
      expect(await send(req({ method: 'nope' }))).to.equal(undefined);
      expect(await send(req({ method: 'test.boom', params: {} }))).to.equal(undefined);
      expect(await send(req({ method: 'test.echo', params: { text: 1 } }))).to.equal(undefined);
    });

    it('reports invalid params with the failing field paths', async () => {
      const r = await send(req({ id: 1, method: 'test.echo', params: { text: '', nested: { n: 1.5 }, extra: true } }));
      expect(r.error.code).to.equal(-32602);
      expect(r.error.message).to.equal('Invalid params');
      expect(r.error.data.paths).to.have.members(['text', 'nested.n', 'extra']);
      expect(r.error.data.issues).to.have.length(3);
    });

    it('reports positional params given to a by-name method as invalid params', async () => {
      const r = await send(req({ id: 1, method: 'test.echo', params: ['x'] }));
      expect(r.error.code).to.equal(-32602);
      expect(r.error.data.paths).to.deep.equal(['params']);
    });

    it('hides internal errors behind an error id that the log carries', async () => {
      const { e, log } = engine();
      const { session } = memorySession('admin');
      const r = JSON.parse((await e.handleText(req({ id: 1, method: 'test.boom', params: {} }), session))!);
      expect(r.error).to.have.keys(['code', 'message', 'data']);
      expect(r.error.code).to.equal(-32603);
      expect(r.error.message).to.equal('Internal error');
      expect(JSON.stringify(r)).not.to.contain('secret');
      expect(r.error.data.errorId).to.match(/^[0-9a-f-]{36}$/);
      const logged = (session.log as ReturnType<typeof recordingLog>).lines.find((l) => l.level === 'error');
      expect(logged?.obj).to.deep.include({ errorId: r.error.data.errorId });
      expect((logged?.obj as { err?: Error }).err?.message, 'the log has what the reply hides').to.contain('secret internal detail');
      expect(
        log.lines.filter((l) => l.level === 'error'),
        'logged on the session’s logger, not the engine’s',
      ).to.have.length(0);
    });

    it('turns an application error into its catalogued code with data.name', async () => {
      const r = await send(req({ id: 1, method: 'test.app', params: {} }));
      expect(r.error).to.deep.equal({
        code: -32010,
        message: 'Unknown agent',
        data: { name: 'UNKNOWN_AGENT', agentId: 'a1', detail: 'agent a1 is not known' },
      });
    });

    it('refuses a method the connection role may not call', async () => {
      const r = await send(req({ id: 1, method: 'test.op', params: {} }), 'agent');
      expect(r.error.code).to.equal(-32001);
      expect(r.error.data.name).to.equal('FORBIDDEN');
      expect((await send(req({ id: 1, method: 'test.op', params: {} }), 'operator')).result).to.equal(null);
    });

    it('turns a result that breaks its schema into an internal error when validating', async () => {
      const r = await send(req({ id: 1, method: 'test.bad', params: {} }));
      expect(r.error.code).to.equal(-32603);
    });

    it('refuses to register a method twice', () => {
      const { e } = engine();
      expect(() => e.register(echo, (p) => p)).to.throw(/twice/);
    });

    it('reports every call to the observer, unknown methods under one label', async () => {
      const { e, calls } = engine();
      const { session } = memorySession();
      await e.handleText(req({ id: 1, method: 'test.echo', params: { text: 'a' } }), session);
      await e.handleText(req({ id: 2, method: 'made.up.name' }), session);
      await e.handleText('{', session);
      expect(calls).to.deep.equal([
        { method: 'test.echo', outcome: 'ok' },
        { method: '<unknown>', outcome: '-32601' },
        { method: '<unknown>', outcome: '-32700' },
      ]);
    });
  });

  describe('batches (§6)', () => {
    it('answers a batch of one with an array of one', async () => {
      const r = await send(`[${req({ id: 1, method: 'test.echo', params: { text: 'a' } })}]`);
      expect(r).to.deep.equal([{ jsonrpc: '2.0', id: 1, result: { text: 'a' } }]);
    });

    it('answers [null] with an array holding one Invalid Request', async () => {
      const r = await send('[null]');
      expect(r).to.have.length(1);
      expect(r[0]).to.deep.include({ id: null });
      expect(r[0].error.code).to.equal(-32600);
    });

    it('refuses a batch over the limit with an array of one Invalid Request', async () => {
      const batch = JSON.stringify([1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, method: 'test.echo', params: { text: 'a' } })));
      const r = await send(batch, 'admin', 2);
      expect(r).to.be.an('array').with.length(1);
      expect(r[0].error.code).to.equal(-32600);
      expect(r[0].error.data).to.deep.include({ maxBatch: 2 });
    });

    it('keeps the good calls of a batch when others fail', async () => {
      const r = await send(
        JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'test.echo', params: { text: 'a' } },
          { jsonrpc: '2.0', id: 2, method: 'test.boom', params: {} },
          { jsonrpc: '2.0', id: 3, method: 'test.echo', params: { text: 'c' } },
        ]),
      );
      expect(r.map((x: any) => x.id)).to.deep.equal([1, 2, 3]);
      expect(r[1].error.code).to.equal(-32603);
      expect(r[2].result).to.deep.equal({ text: 'c' });
    });
  });

  describe('responses to the daemon’s own requests', () => {
    it('hands a response to the waiting outbound request and replies nothing', async () => {
      const { e } = engine();
      const { session, sent } = memorySession();
      const pending = session.peer.request('agent.ping', {});
      const out = JSON.parse(sent[0]!);
      expect(out).to.include({ jsonrpc: '2.0', method: 'agent.ping' });
      expect(await e.handleText(JSON.stringify({ jsonrpc: '2.0', id: out.id, result: 'pong' }), session)).to.equal(undefined);
      expect(await pending).to.equal('pong');
    });
  });

  describe('in-flight tracking', () => {
    it('resolves whenIdle once running calls finish', async () => {
      const slow = defineMethod({ name: 'test.slow', summary: 'slow', roles: ['admin'], params: z.object({}), result: z.null() });
      const e = new RpcEngine({ log: recordingLog() }, { maxBatch: 10, validateResults: false });
      let release!: () => void;
      e.register(slow, () => new Promise<null>((resolve) => (release = () => resolve(null))));
      const { session } = memorySession();
      const reply = e.handleText(req({ id: 1, method: 'test.slow', params: {} }), session);
      await new Promise((r) => setImmediate(r));
      expect(e.pending()).to.equal(1);
      let idle = false;
      const whenIdle = e.whenIdle().then(() => (idle = true));
      await new Promise((r) => setImmediate(r));
      expect(idle).to.equal(false);
      release();
      await whenIdle;
      expect(e.pending()).to.equal(0);
      expect(JSON.parse((await reply)!).result).to.equal(null);
    });
  });
});

describe('RpcEngine _meta', () => {
  it('accepts _meta on any method and hides it from the params schema', async () => {
    const r = await send(req({ id: 1, method: 'test.echo', params: { text: 'x', _meta: { traceparent: 'whatever' } } }));
    expect(r.result).to.deep.equal({ text: 'x' });
  });
});
