import { expect } from 'chai';
import { StoreError } from '../../../src/stores/store-error.js';
import { TurnOutbox } from '../../../src/wiring/turn-outbox.js';

/** An outbox whose commits are Promises the test settles one by one (a Redis commit). */
function harness() {
  const pending: (() => void)[] = [];
  const commits: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const failures: StoreError[] = [];
  const log: string[] = [];
  const outbox = new TurnOutbox({
    commit: () =>
      new Promise<void>((resolve, reject) => {
        log.push(`commit${commits.length + 1}`);
        commits.push({ resolve, reject });
      }),
    failed: (e) => failures.push(e),
    later: (fn) => pending.push(fn),
  });
  const sink = (text: string): void => void log.push(text);
  const end = (): void => {
    for (const fn of pending.splice(0)) fn();
  };
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { outbox, sink, log, end, commits, failures, settle };
}

const reply = (id: number): string => JSON.stringify({ jsonrpc: '2.0', id, result: id });

describe('wiring/TurnOutbox with an asynchronous commit (cluster mode)', () => {
  it('a turn’s messages wait for its commit, and turns leave in order even when a later commit resolves first', async () => {
    const h = harness();
    h.outbox.send(h.sink, 'a', false);
    h.end();
    h.outbox.send(h.sink, 'b', false);
    h.end();
    expect(h.log).to.deep.equal(['commit1', 'commit2']);
    h.commits[1]!.resolve();
    await h.settle();
    expect(h.log).to.deep.equal(['commit1', 'commit2']);
    h.commits[0]!.resolve();
    await h.settle();
    expect(h.log).to.deep.equal(['commit1', 'commit2', 'a', 'b']);
  });

  it('a refused commit (lost term) turns that turn’s replies into LEADER_UNAVAILABLE and fails every later turn', async () => {
    const h = harness();
    h.outbox.send(h.sink, reply(1), true);
    h.outbox.send(h.sink, 'task.run', false);
    h.end();
    h.outbox.send(h.sink, reply(2), true);
    h.end();
    h.commits[0]!.reject(new StoreError('FENCED', 'term 3 is not current'));
    h.commits[1]!.resolve();
    await h.settle();
    const out = h.log.slice(2).map((t) => JSON.parse(t) as { id: number; error: { code: number; data: { retryAfterMs: number } } });
    expect(out.map((r) => [r.id, r.error.code])).to.deep.equal([
      [1, -32007],
      [2, -32007],
    ]);
    expect(out[0]!.error.data.retryAfterMs).to.be.a('number');
    expect(h.failures.map((f) => f.code)).to.deep.equal(['FENCED']);
    // Once failed, nothing more is committed and every reply fails.
    h.outbox.send(h.sink, reply(3), true);
    h.end();
    await h.settle();
    expect(h.commits).to.have.length(2);
    expect(JSON.parse(h.log.at(-1)!).error.code).to.equal(-32007);
  });

  it('a Redis error fails the turn with STORE_UNAVAILABLE; a lost epoch with CLUSTER_STATE_LOST', async () => {
    for (const [code, wire] of [
      ['IO', -32006],
      ['STATE_LOST', -32008],
    ] as const) {
      const h = harness();
      h.outbox.send(h.sink, reply(1), true);
      h.end();
      h.commits[0]!.reject(new StoreError(code, 'x', { details: { expectedEpoch: 'e1' } }));
      await h.settle();
      expect(JSON.parse(h.log.at(-1)!).error.code).to.equal(wire);
    }
  });

  it('committed() resolves once everything handed over so far is committed, and rejects after a failure', async () => {
    const h = harness();
    h.outbox.send(h.sink, 'a', false);
    let done = false;
    const committed = h.outbox.committed().then(() => (done = true));
    h.end();
    await h.settle();
    expect(done).to.equal(false);
    h.commits[0]!.resolve();
    await committed;
    expect(h.log).to.deep.equal(['commit1', 'a']);
    const failed = h.outbox.committed();
    h.end();
    h.commits[1]!.reject(new StoreError('IO', 'connection lost'));
    let reason: unknown;
    await failed.catch((e: unknown) => (reason = e));
    expect((reason as StoreError).code).to.equal('IO');
    await h.outbox.committed().catch((e: unknown) => (reason = e));
    expect((reason as StoreError).code).to.equal('IO');
  });
});
