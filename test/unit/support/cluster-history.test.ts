import { expect } from 'chai';
import { ClusterHistory, type TaskSnapshot, type ViolationKind } from '../../support/cluster-history.js';

/** A history on a clock the test moves by hand. */
function history(): { h: ClusterHistory; tick: (ms?: number) => number } {
  let now = 1000;
  const h = new ClusterHistory(() => now);
  return { h, tick: (ms = 1) => (now += ms) };
}

const completed = (taskId: string, epoch: number, result: unknown, extra: Partial<TaskSnapshot> = {}): TaskSnapshot => ({
  taskId,
  state: 'COMPLETED',
  epoch,
  result,
  attempts: [{ epoch, outcome: 'completed', agentId: 'a1' }],
  ...extra,
});

const kinds = (h: ClusterHistory): ViolationKind[] => h.check().map((v) => v.kind);

/** A run with everything right: two tasks, a retry after a lost agent, a failover with a new term. */
function goodRun(): { h: ClusterHistory; tick: (ms?: number) => number } {
  const run = history();
  const { h, tick } = run;
  h.termSeen(1, 'n1', 'cluster.status@n2');
  h.assignAcked('k1', 't1');
  h.assignAcked('k2', 't2');
  h.assignAcked('k1', 't1'); // a retry of k1 after LEADER_UNAVAILABLE: deduplicated
  h.assignUnsure('k3', new Error('LEADER_UNAVAILABLE'));
  tick();
  h.runStarted('t1', 1, 'a1');
  h.runStarted('t2', 1, 'a2');
  h.writeLanded(1, tick(), 'to:g1 task.run t1');
  h.runFinished('t1', 1, { n: 1, epoch: 1 });
  h.completionSeen('t1', 1, { n: 1, epoch: 1 }, 'task.wait');
  tick();
  h.termSeen(2, 'n2', 'cluster.status@n3');
  tick();
  h.runStarted('t2', 2, 'a3'); // a2's gateway died: the new leader re-ran it
  h.runFinished('t2', 2, { n: 2, epoch: 2 });
  h.writeLanded(2, tick(), 'to:g3 task.run t2');
  h.tokenGranted('db', 1, 'a1');
  h.tokenGranted('db', 2, 'a2');
  h.tokenGranted('cache', 1, 'a1');
  h.finalTasks([
    completed('t1', 1, { n: 1, epoch: 1 }),
    {
      taskId: 't2',
      state: 'COMPLETED',
      epoch: 2,
      result: { epoch: 2, n: 2 }, // key order does not matter
      attempts: [
        { epoch: 1, outcome: 'disconnected' },
        { epoch: 2, outcome: 'completed' },
      ],
    },
  ]);
  return run;
}

describe('support/ClusterHistory (the checker of cluster runs)', () => {
  it('finds nothing wrong in a valid history', () => {
    const { h } = goodRun();
    expect(h.check()).to.deep.equal([]);
    expect(() => h.assertValid()).to.not.throw();
    expect(h.summary()).to.include({ acked: 3, unsure: 1, runs: 3, terms: 2, writes: 2, finals: 2, grants: 3 });
  });

  it('an acknowledged task missing at the end is lost', () => {
    const { h } = goodRun();
    h.assignAcked('k9', 't9');
    expect(h.check()).to.deep.equal([{ kind: 'lost-task', subject: 't9', detail: `acknowledged at 1005 (key k9), missing at the end` }]);
    expect(() => h.assertValid()).to.throw(/1 violation.*\n.*lost-task t9/);
  });

  it('one idempotency key acknowledged with two task ids breaks deduplication', () => {
    const { h } = goodRun();
    h.assignAcked('k1', 't2');
    expect(kinds(h)).to.deep.equal(['dedupe-broken']);
  });

  it('two accepted completions of one task (different epochs) are caught, from observers or the record', () => {
    const observed = goodRun().h;
    observed.runFinished('t1', 2, { n: 1, epoch: 2 });
    observed.completionSeen('t1', 2, { n: 1, epoch: 2 }, 'task.report accepted');
    expect(kinds(observed)).to.deep.equal(['completed-twice']);

    const record = history().h;
    record.assignAcked(undefined, 't1');
    record.finalTasks([
      {
        taskId: 't1',
        state: 'COMPLETED',
        epoch: 2,
        result: 1,
        attempts: [
          { epoch: 1, outcome: 'completed' },
          { epoch: 2, outcome: 'completed' },
        ],
      },
    ]);
    expect(kinds(record)).to.include('completed-twice');
  });

  it('the same completion seen by several observers is one completion; a changed result is two', () => {
    const { h } = goodRun();
    h.completionSeen('t1', undefined, { epoch: 1, n: 1 }, 'events');
    h.completionSeen('t1', 1, { n: 1, epoch: 1 }, 'task.get');
    expect(h.check()).to.deep.equal([]);
    h.completionSeen('t1', 1, { n: 'other', epoch: 1 }, 'task.get');
    expect(kinds(h)).to.include('completed-twice');
  });

  it('a task seen COMPLETED and later in another state changed a terminal state (e.g. Redis lost the write)', () => {
    const { h, tick } = goodRun();
    tick();
    h.stateSeen('t1', 'PENDING', 'task.get after the restart');
    expect(kinds(h)).to.deep.equal(['terminal-changed']);
    const { h: h2 } = goodRun();
    h2.finalTasks([{ taskId: 't1', state: 'IN_PROGRESS', epoch: 1 }, completed('t2', 2, { n: 2, epoch: 2 })]);
    expect(kinds(h2)).to.include('terminal-changed');
  });

  it('an accepted result that no agent produced for the task is a phantom', () => {
    const { h } = goodRun();
    h.finalTasks([completed('t1', 1, { n: 1, epoch: 1 }), completed('t2', 2, { n: 999, epoch: 2 })]);
    expect(kinds(h)).to.deep.equal(['phantom-result']);
    h.completionSeen('t2', 2, { n: 2, epoch: 2 }, 'task.wait'); // and a client had been told another one
    expect(kinds(h)).to.deep.equal(['completed-twice', 'phantom-result']);
  });

  it('a task.run whose epoch does not rise is caught, and so are attempts out of order in the record', () => {
    const { h } = goodRun();
    h.runStarted('t2', 2, 'a4'); // the same epoch to a second agent: two attempts share a fencing epoch
    h.runStarted('t2', 1, 'a5');
    expect(h.check().map((v) => [v.kind, v.detail])).to.deep.equal([
      ['epoch-regressed', 'task.run epoch 2 to a4 after epoch 2 to a3'],
      ['epoch-regressed', 'task.run epoch 1 to a5 after epoch 2 to a3'],
    ]);
    const { h: h2 } = goodRun();
    h2.finalTasks([
      completed('t1', 1, { n: 1, epoch: 1 }),
      {
        taskId: 't2',
        state: 'COMPLETED',
        epoch: 2,
        result: { n: 2, epoch: 2 },
        attempts: [
          { epoch: 2, outcome: 'completed' },
          { epoch: 2, outcome: 'disconnected' },
        ],
      },
    ]);
    expect(kinds(h2)).to.deep.equal(['epoch-regressed']);
  });

  it('a fencing token that does not rise on its resource is caught (other resources count apart)', () => {
    const { h } = goodRun();
    h.tokenGranted('cache', 2, 'a2');
    expect(h.check()).to.deep.equal([]);
    h.tokenGranted('db', 2, 'a3');
    expect(h.check()).to.deep.equal([{ kind: 'token-regressed', subject: 'db', detail: 'token 2 to a3 after token 2 to a2' }]);
  });

  it('two leaders for one term is a split brain', () => {
    const { h } = goodRun();
    h.termSeen(2, 'n1', 'log of n1');
    h.termSeen(3, undefined, 'cluster.status during the election');
    expect(kinds(h)).to.deep.equal(['split-brain']);
  });

  it('a write of term 1 that landed after term 2 was seen is stale (a deposed leader wrote)', () => {
    const { h, tick } = goodRun();
    h.writeLanded(1, tick(), 'to:g1 task.run t7 from the SIGSTOPped leader');
    const violations = h.check();
    expect(violations.map((v) => v.kind)).to.deep.equal(['stale-write']);
    expect(violations[0]!.detail).to.match(/after term 2 was seen at 1003 \(cluster\.status@n3\)/);
  });

  it('a write of an old term that landed before the new term was seen is not stale', () => {
    const { h } = history();
    h.writeLanded(1, 1000, 'commit');
    h.termSeen(2, 'n2', 'status');
    expect(h.check()).to.deep.equal([]);
  });

  it('without final records it checks what it has, and cannot call a task lost', () => {
    const h = new ClusterHistory();
    h.assignAcked('k', 't');
    expect(h.check()).to.deep.equal([]);
    expect(h.summary().finals).to.equal(0);
  });
});
