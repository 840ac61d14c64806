import { expect } from 'chai';
import { StoreError } from '../../../src/stores/store-error.js';
import { failedReply, TurnOutbox } from '../../../src/wiring/turn-outbox.js';

/** An outbox whose turns end when the test says (`end()`), committing through `commit`. */
function harness(commit: () => void = () => undefined) {
  const pending: (() => void)[] = [];
  const failures: StoreError[] = [];
  const log: string[] = [];
  const outbox = new TurnOutbox({
    commit: () => {
      log.push('commit');
      commit();
    },
    failed: (e) => failures.push(e),
    later: (fn) => pending.push(fn),
  });
  const sink = (text: string): void => void log.push(text);
  const end = (): void => {
    for (const fn of pending.splice(0)) fn();
  };
  return { outbox, sink, log, end, failures, scheduled: () => pending.length };
}

describe('wiring/TurnOutbox: commit before anyone is told', () => {
  it('holds a turn’s messages until the turn ends, commits once, then sends them in order', () => {
    const h = harness();
    h.outbox.send(h.sink, 'r1', true);
    h.outbox.send(h.sink, 'n1', false);
    h.outbox.send(h.sink, 'r2', true);
    expect(h.log).to.deep.equal([]);
    expect(h.scheduled()).to.equal(1);
    h.end();
    expect(h.log).to.deep.equal(['commit', 'r1', 'n1', 'r2']);
  });

  it('commits at the end of a turn that sends nothing when asked (timer-driven writes)', () => {
    const h = harness();
    h.outbox.schedule();
    h.outbox.schedule();
    h.end();
    expect(h.log).to.deep.equal(['commit']);
  });

  it('a failed commit turns the turn’s replies into STORE_UNAVAILABLE, drops its other messages, and stays failed', () => {
    let fail = true;
    const h = harness(() => {
      if (fail) throw new StoreError('DISK_FULL', 'disk full');
    });
    h.outbox.send(h.sink, JSON.stringify({ jsonrpc: '2.0', id: 7, result: { taskId: 't' } }), true);
    h.outbox.send(h.sink, JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'task.run', params: {} }), false);
    h.outbox.send(h.sink, JSON.stringify({ jsonrpc: '2.0', id: 8, error: { code: -32602, message: 'Invalid params' } }), true);
    h.end();
    expect(h.log[0]).to.equal('commit');
    expect(h.log.slice(1).map((t) => JSON.parse(t))).to.deep.equal([
      { jsonrpc: '2.0', id: 7, error: { code: -32006, message: 'The state store could not save this change', data: { reason: 'DISK_FULL' } } },
      { jsonrpc: '2.0', id: 8, error: { code: -32602, message: 'Invalid params' } },
    ]);
    expect(h.failures.map((f) => f.code)).to.deep.equal(['DISK_FULL']);
    expect(h.outbox.failed?.code).to.equal('DISK_FULL');
    // Later turns fail too, without committing (memory may be ahead of the file).
    fail = false;
    h.log.length = 0;
    h.outbox.send(h.sink, JSON.stringify({ jsonrpc: '2.0', id: 9, result: 1 }), true);
    h.end();
    expect(h.log.map((t) => JSON.parse(t).error.code)).to.deep.equal([-32006]);
    expect(h.failures).to.have.length(1);
  });

  it('a write that failed during the turn fails the turn even though the commit has nothing left', () => {
    const h = harness();
    h.outbox.send(h.sink, JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'ok' }), true);
    h.outbox.writeFailed(new StoreError('READ_ONLY', 'attempt to write a readonly database'));
    h.end();
    expect(h.log.map((t) => JSON.parse(t).error?.data?.reason)).to.deep.equal(['READ_ONLY']);
  });

  it('rewrites every response of a batch and anything unparsable to an error', () => {
    const e = new StoreError('IO', 'io');
    const batch = JSON.parse(
      failedReply(
        JSON.stringify([
          { jsonrpc: '2.0', id: 1, result: 1 },
          { jsonrpc: '2.0', id: 2, result: 2 },
        ]),
        e,
      ),
    );
    expect(batch.map((r: { id: number; error: { code: number } }) => [r.id, r.error.code])).to.deep.equal([
      [1, -32006],
      [2, -32006],
    ]);
    expect(JSON.parse(failedReply('not json', e))).to.deep.include({ id: null });
  });
});
