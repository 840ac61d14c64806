import { expect } from 'chai';
import { PeerError, RpcPeer } from '../../../src/rpc/peer.js';

function peer(timeoutMs = 1000) {
  const sent: any[] = [];
  const p = new RpcPeer((text) => sent.push(JSON.parse(text)), timeoutMs);
  return { p, sent };
}

async function failure(promise: Promise<unknown>): Promise<PeerError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PeerError);
    return err as PeerError;
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

  it('maps an error reply to REMOTE_ERROR with the peer’s error object', async () => {
    const { p, sent } = peer();
    const a = p.request('task.run', {});
    p.receive({ jsonrpc: '2.0', id: sent[0].id, error: { code: -32000, message: 'nope', data: { retryable: false } } });
    const err = await failure(a);
    expect(err.code).to.equal('REMOTE_ERROR');
    expect(err.remote).to.deep.equal({ code: -32000, message: 'nope', data: { retryable: false } });
  });

  it('times out with TIMEOUT, and a peer cannot forge one', async () => {
    const { p, sent } = peer(20);
    expect((await failure(p.request('x', {}))).code).to.equal('TIMEOUT');
    const forged = p.request('x', {}, { timeoutMs: 1000 });
    p.receive({ jsonrpc: '2.0', id: sent[1].id, error: { code: 0, message: 'timeout', data: { coorddTimeout: true } } });
    expect((await failure(forged)).code).to.equal('REMOTE_ERROR');
  });

  it('fails pending and later requests with CLOSED once closed', async () => {
    const { p } = peer();
    const a = p.request('x', {});
    p.close();
    expect((await failure(a)).code).to.equal('CLOSED');
    expect((await failure(p.request('y', {}))).code).to.equal('CLOSED');
  });

  it('sends notifications without an id, and none after close', () => {
    const { p, sent } = peer();
    p.notify('task.cancel', { taskId: 't' });
    p.close();
    p.notify('task.cancel', { taskId: 'u' });
    expect(sent).to.deep.equal([{ jsonrpc: '2.0', method: 'task.cancel', params: { taskId: 't' } }]);
  });
});
