import { expect } from 'chai';
import { Outboxes, type OutboxSink } from '../../../src/transport/outbox.js';

/** A sink that records what reached the "socket", in order, across connections. */
function sinks() {
  const wire: string[] = [];
  const sink = (name: string): OutboxSink => ({
    send: (text) => void wire.push(`${name} ${text}`),
    close: (code, reason) => void wire.push(`${name} close ${code} ${reason}`),
  });
  return { wire, sink };
}

/** Outboxes whose end-of-turn flush runs when the test says so. */
function manual(onHookFailure: (err: unknown) => void = (err) => expect.fail(String(err))) {
  const turns: (() => void)[] = [];
  const outboxes = new Outboxes({ onHookFailure, schedule: (fn) => void turns.push(fn) });
  const endTurn = (): void => {
    for (const fn of turns.splice(0)) fn();
  };
  return { outboxes, turns, endTurn };
}

describe('Outboxes (every frame the daemon sends, flushed once per turn)', () => {
  it('holds the frames of a turn until it ends, then sends each connection’s in order with one scheduled flush', () => {
    const { wire, sink } = sinks();
    const { outboxes, turns, endTurn } = manual();
    const a = outboxes.open(sink('a'));
    const b = outboxes.open(sink('b'));
    a.send('1');
    b.send('x');
    a.send('2');
    expect(wire).to.deep.equal([]);
    expect(turns).to.have.length(1);
    endTurn();
    expect(wire).to.deep.equal(['a 1', 'a 2', 'b x']);
    a.send('3');
    endTurn();
    expect(wire).to.deep.equal(['a 1', 'a 2', 'b x', 'a 3']);
  });

  it('closes a connection after the frames queued before the close, and drops frames after it', () => {
    const { wire, sink } = sinks();
    const { outboxes, endTurn } = manual();
    const a = outboxes.open(sink('a'));
    a.send('task.cancel');
    a.close(4001, 'taken over');
    a.send('late');
    endTurn();
    expect(wire).to.deep.equal(['a task.cancel', 'a close 4001 taken over']);
  });

  it('drops what waits on a connection that is gone', () => {
    const { wire, sink } = sinks();
    const { outboxes, endTurn } = manual();
    const a = outboxes.open(sink('a'));
    a.send('1');
    a.discard();
    a.send('2');
    endTurn();
    expect(wire).to.deep.equal([]);
  });

  it('runs the hook once per flush, before any frame of it is sent', () => {
    const { wire, sink } = sinks();
    const { outboxes, endTurn } = manual();
    outboxes.beforeFlush(() => void wire.push('commit'));
    const a = outboxes.open(sink('a'));
    endTurn();
    expect(wire, 'no frames, no flush').to.deep.equal([]);
    a.send('1');
    a.send('2');
    endTurn();
    expect(wire).to.deep.equal(['commit', 'a 1', 'a 2']);
  });

  it('holds the frames while the hook’s promise runs, and a later turn’s frames behind them', async () => {
    const { wire, sink } = sinks();
    const { outboxes, endTurn } = manual();
    const commits: (() => void)[] = [];
    outboxes.beforeFlush(() => new Promise<void>((resolve) => commits.push(resolve)));
    const a = outboxes.open(sink('a'));
    a.send('1');
    endTurn();
    a.send('2');
    endTurn();
    await Promise.resolve();
    expect(wire).to.deep.equal([]);
    commits[1]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(wire, 'the second commit is done, the first is not').to.deep.equal([]);
    commits[0]!();
    await outboxes.flushed();
    expect(wire).to.deep.equal(['a 1', 'a 2']);
  });

  it('sends nothing of a flush whose hook fails, and reports it', async () => {
    const { wire, sink } = sinks();
    const failures: unknown[] = [];
    const { outboxes, endTurn } = manual((err) => failures.push(err));
    let fail: 'throw' | 'reject' | undefined = 'throw';
    outboxes.beforeFlush(() => {
      if (fail === 'throw') throw new Error('disk full');
      if (fail === 'reject') return Promise.reject(new Error('disk gone'));
    });
    const a = outboxes.open(sink('a'));
    a.send('1');
    endTurn();
    fail = 'reject';
    a.send('2');
    endTurn();
    await outboxes.flushed();
    fail = undefined;
    a.send('3');
    endTurn();
    expect(wire).to.deep.equal(['a 3']);
    expect(failures.map((e) => (e as Error).message)).to.deep.equal(['disk full', 'disk gone']);
  });

  it('flushes at the end of the real event-loop turn by default', async () => {
    const { wire, sink } = sinks();
    const outboxes = new Outboxes({ onHookFailure: (err) => expect.fail(String(err)) });
    const a = outboxes.open(sink('a'));
    a.send('1');
    await Promise.resolve();
    a.send('2');
    expect(wire).to.deep.equal([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(wire).to.deep.equal(['a 1', 'a 2']);
  });
});
