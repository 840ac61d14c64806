import { expect } from 'chai';
import { AgentCallError } from '../../../src/agent-call-error.js';
import { RpcPeer } from '../../../src/rpc/peer.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { settled } from '../../support/settled.js';

/** A peer whose timeouts run on a VirtualClock. */
function peer(timeoutMs = 1000) {
  const sent: any[] = [];
  const clock = new VirtualClock();
  const p = new RpcPeer(
    (text) => sent.push(JSON.parse(text)),
    timeoutMs,
    () => clock.now(),
    clock,
  );
  return { p, sent, clock };
}

async function failure(promise: Promise<unknown>): Promise<AgentCallError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AgentCallError);
    return err as AgentCallError;
  }
  throw new Error('expected a rejection');
}

describe('RpcPeer (outbound requests)', () => {
  it('sends a request and resolves with the matching result', async () => {
    const { p, sent } = peer();
    const a = p.request('task.run', { taskId: 't1' });
    const b = p.request('task.run', { taskId: 't2' });
    expect(sent.map((m) => m.params.taskId)).to.deep.equal(['t1', 't2']);
    p.receive({ jsonrpc: '2.0', id: sent[1].id, result: 'two' });
    p.receive({ jsonrpc: '2.0', id: sent[0].id, result: 'one' });
    expect(await a).to.equal('one');
    expect(await b).to.equal('two');
    expect(p.pendingCount()).to.equal(0);
  });

  it('maps an error reply to remote with the peer’s error object', async () => {
    const { p, sent } = peer();
    const a = p.request('task.run', {});
    p.receive({ jsonrpc: '2.0', id: sent[0].id, error: { code: -32000, message: 'nope', data: { retryable: false } } });
    const err = await failure(a);
    expect(err.kind).to.equal('remote');
    expect(err.remote).to.deep.equal({ code: -32000, message: 'nope', data: { retryable: false } });
  });

  it('times out (timeout) exactly at the default or per-request timeout, and a peer cannot forge one', async () => {
    const { p, sent, clock } = peer(20);
    const byDefault = p.request('x', {});
    const perRequest = p.request('x', {}, { timeoutMs: 50 });
    clock.advance(19);
    expect(await settled(byDefault)).to.equal(false);
    clock.advance(1);
    const err = await failure(byDefault);
    expect(err.kind).to.equal('timeout');
    expect(err.message).to.contain('20 ms');
    expect(await settled(perRequest)).to.equal(false);
    clock.advance(30);
    expect((await failure(perRequest)).kind).to.equal('timeout');
    expect(p.pendingCount()).to.equal(0);
    const forged = p.request('x', {}, { timeoutMs: 1000 });
    p.receive({ jsonrpc: '2.0', id: sent[2].id, error: { code: 0, message: 'timeout', data: { coorddTimeout: true } } });
    expect((await failure(forged)).kind).to.equal('remote');
  });

  it('cancels the timeout of a request that was answered or closed', async () => {
    const { p, sent, clock } = peer(20);
    const answered = p.request('x', {});
    p.receive({ jsonrpc: '2.0', id: sent[0].id, result: 'ok' });
    expect(await answered).to.equal('ok');
    const closed = p.request('y', {});
    p.close();
    expect((await failure(closed)).kind).to.equal('disconnected');
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('fails pending and later requests as disconnected once closed', async () => {
    const { p } = peer();
    const a = p.request('x', {});
    p.close();
    expect((await failure(a)).kind).to.equal('disconnected');
    expect((await failure(p.request('y', {}))).kind).to.equal('disconnected');
  });

  it('sends notifications without an id, and none after close', () => {
    const { p, sent } = peer();
    p.notify('task.cancel', { taskId: 't' });
    p.close();
    p.notify('task.cancel', { taskId: 'u' });
    expect(sent).to.deep.equal([{ jsonrpc: '2.0', method: 'task.cancel', params: { taskId: 't' } }]);
  });

  describe('onWaited: the time a request waited on the peer', () => {
    /** A peer on a hand-moved clock; sending takes `sendMs` of it (the daemon's serialisation). */
    function timed(sendMs = 0) {
      const clock = { ms: 1000 };
      const timers = new VirtualClock(0);
      const sent: any[] = [];
      const p = new RpcPeer(
        (text) => {
          clock.ms += sendMs;
          sent.push(JSON.parse(text));
        },
        1000,
        () => clock.ms,
        timers,
      );
      return { p, sent, clock, timers };
    }

    it('runs from the request handed to the socket to its reply frame’s arrival, not to the caller’s wake-up', async () => {
      const { p, sent, clock } = timed(3);
      const waits: number[] = [];
      const a = p.request('message.deliver', {}, { onWaited: (ms) => waits.push(ms) });
      clock.ms += 40;
      const arrived = clock.ms;
      // Parsing the reply and resuming the caller are the daemon's: they happen after the arrival.
      clock.ms += 7;
      p.receive({ jsonrpc: '2.0', id: sent[0].id, result: 'ok' }, arrived);
      expect(await a).to.equal('ok');
      expect(waits).to.deep.equal([40]);
    });

    it('keeps concurrent requests apart, and counts an error reply as waited', async () => {
      const { p, sent, clock } = timed();
      const waits: Record<string, number> = {};
      const a = p.request('a', {}, { onWaited: (ms) => (waits.a = ms) });
      clock.ms += 5;
      const b = p.request('b', {}, { onWaited: (ms) => (waits.b = ms) });
      clock.ms += 10;
      p.receive({ jsonrpc: '2.0', id: sent[1].id, error: { code: -32000, message: 'no' } });
      clock.ms += 20;
      p.receive({ jsonrpc: '2.0', id: sent[0].id, result: 1 });
      expect(await a).to.equal(1);
      expect((await failure(b)).kind).to.equal('remote');
      expect(waits).to.deep.equal({ a: 35, b: 10 });
    });

    it('counts a request that timed out or whose connection closed as waited until then, once', async () => {
      const { p, clock } = timed();
      const waits: number[] = [];
      const a = p.request('a', {}, { onWaited: (ms) => waits.push(ms) });
      clock.ms += 12;
      p.close();
      expect((await failure(a)).kind).to.equal('disconnected');
      await new Promise((resolve) => setImmediate(resolve));
      expect(waits).to.deep.equal([12]);
      const late = timed();
      const lateWaits: number[] = [];
      const t = late.p.request('t', {}, { timeoutMs: 5, onWaited: (ms) => lateWaits.push(ms) });
      late.clock.ms += 5;
      late.timers.advance(5);
      expect((await failure(t)).kind).to.equal('timeout');
      expect(lateWaits).to.deep.equal([5]);
    });

    it('reports no wait for a request that could not be sent', async () => {
      const waits: number[] = [];
      const p = new RpcPeer(
        () => {
          throw new Error('socket gone');
        },
        1000,
        () => 1,
      );
      await failure(p.request('a', {}, { onWaited: (ms) => waits.push(ms) }));
      expect(waits).to.deep.equal([0]);
    });
  });
});
