import { expect } from 'chai';
import { z } from 'zod';
import { RpcEngine } from '../../../src/rpc/engine.js';
import { AgentCallError } from '../../../src/agent-call-error.js';
import { RpcPeer } from '../../../src/rpc/peer.js';
import { defineMethod } from '../../../src/schemas/method.js';
import { memorySession, recordingLog } from '../../support/in-memory-session.js';

/** A value JSON.stringify cannot write: nested far deeper than the stack allows. */
function tooDeep(): unknown {
  let v: unknown = 1;
  for (let i = 0; i < 200_000; i++) v = [v];
  return v;
}
const cyclic = (): unknown => {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
};

const give = defineMethod({
  name: 'test.give',
  summary: 'returns what it is told to',
  roles: ['admin'],
  params: z.strictObject({ kind: z.string() }),
  result: z.unknown(),
});

function engine() {
  const e = new RpcEngine({ log: recordingLog() }, { maxBatch: 100, validateResults: false });
  e.register(give, (p) => {
    if (p.kind === 'deep') return tooDeep();
    if (p.kind === 'cycle') return cyclic();
    if (p.kind === 'bigint') return { n: 10n };
    if (p.kind === 'async-deep') return Promise.resolve(tooDeep());
    return { ok: true };
  });
  return e;
}

describe('replies and requests that cannot be serialised', () => {
  for (const kind of ['deep', 'cycle', 'bigint', 'async-deep']) {
    it(`a ${kind} result becomes REPLY_UNSENDABLE for that request, with the error id logged`, async () => {
      const { session } = memorySession();
      const text = await engine().handleText(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'test.give', params: { kind } }), session);
      const reply = JSON.parse(text!);
      expect(reply.id).to.equal(7);
      expect(reply.error).to.deep.include({ code: -32005, message: 'The reply could not be written as JSON' });
      const errorId = reply.error.data.errorId as string;
      expect(errorId).to.match(/^[0-9a-f-]{36}$/);
      const lines = (session.log as ReturnType<typeof recordingLog>).lines;
      expect(lines.some((l) => l.level === 'error' && (l.obj as { errorId?: string }).errorId === errorId)).to.equal(true);
    });
  }

  it('in a batch, only the element that cannot be written fails', async () => {
    const { session } = memorySession();
    const batch = [1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, method: 'test.give', params: { kind: id === 2 ? 'deep' : 'fine' } }));
    const replies = JSON.parse((await engine().handleText(JSON.stringify(batch), session))!);
    expect(replies.map((r: { id: number }) => r.id)).to.deep.equal([1, 2, 3]);
    expect(replies[0].result).to.deep.equal({ ok: true });
    expect(replies[1].error.code).to.equal(-32005);
    expect(replies[2].result).to.deep.equal({ ok: true });
  });

  it('a request to a peer that cannot be written fails with REQUEST_UNSENDABLE (not code 0) and sends nothing', async () => {
    const sent: string[] = [];
    const logged: string[] = [];
    const peer = new RpcPeer(
      (t) => sent.push(t),
      1000,
      undefined,
      undefined,
      (_err, method) => {
        logged.push(method);
        return 'err-1';
      },
    );
    const err = await peer.request('task.run', { payload: tooDeep() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AgentCallError);
    expect((err as AgentCallError).kind).to.equal('remote');
    expect((err as AgentCallError).remote).to.deep.include({ code: -32031 });
    expect((err as AgentCallError).remote!.data).to.deep.equal({ name: 'REQUEST_UNSENDABLE', errorId: 'err-1' });
    peer.notify('task.updated', { x: cyclic() });
    expect(sent).to.deep.equal([]);
    expect(logged).to.deep.equal(['task.run', 'task.updated']);
    expect(peer.pendingCount()).to.equal(0);
  });
});
