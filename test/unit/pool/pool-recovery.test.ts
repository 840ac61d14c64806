import { expect } from 'chai';
import { sequentialIds } from '../../../src/ids.js';
import { MemoryTaskStore } from '../../../src/pool/memory-task-store.js';
import { PoolService } from '../../../src/pool/pool-service.js';
import type { PoolOptions } from '../../../src/pool/pool-options.js';
import { seededRandom } from '../../../src/random.js';
import { AgentRouter } from '../../../src/routing/agent-router.js';
import { recoverTasks } from '../../../src/stores/recovered-tasks.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { FakeAgent, poolHarness } from '../../support/pool-harness.js';

/** A second pool on the same store, as a restarted daemon builds it: a clock going on from the old one's time (the old pool's timers died with it), new ids, recovered tasks. */
function restarted(store: MemoryTaskStore, old: VirtualClock, options: Partial<PoolOptions> = {}) {
  const clock = new VirtualClock(old.now());
  const random = seededRandom(2);
  const scores = { now: () => clock.now(), routingScore: () => 0.5, hasLiveSignal: () => false };
  const router = new AgentRouter({ random, scores }, { enableRep: true, defaultStrategy: 'LEAST_LOADED' });
  const pool = new PoolService({ clock, ids: sequentialIds('r'), random, router, store }, { retryBaseDelayMs: 100, ...options });
  pool.recover(recoverTasks(store));
  let session = 0;
  const connect = (agentId: string, running: { taskId: string; epoch: number }[] = [], capacity = 2) => {
    const channel = new FakeAgent(agentId);
    const reg = pool.registerWithRunning({ agentId, capacity, capabilities: [], channel, sessionId: `r${++session}` }, running);
    return { channel, ...reg };
  };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { pool, connect, settle, clock };
}

describe('PoolService recovery after a restart', () => {
  it('queues PENDING tasks again in priority then submission order', () => {
    const h = poolHarness();
    const ids = [0, 5, 0, 5, 10].map((priority) => h.pool.assign({ type: 'job', priority }).task.taskId);
    const r = restarted(h.store, h.clock);
    expect(r.pool.queueStats().depth).to.equal(5);
    const a = r.connect('a', [], 5);
    expect(a.channel.calls.map((c) => c.params.taskId)).to.deep.equal([ids[4], ids[1], ids[3], ids[0], ids[2]]);
  });

  it('binds a reattaching agent’s own task with the same epoch, takes its result by report, and never runs it again', async () => {
    const h = poolHarness({}, 1);
    h.addAgent('a', 2);
    const taskId = h.pool.assign({ type: 'llm' }).task.taskId;
    const epoch = h.pool.get(taskId).epoch;
    h.clock.advance(1000);
    const r = restarted(h.store, h.clock);
    expect(r.pool.awaitingReattach).to.equal(1);
    const a = r.connect('a', [{ taskId, epoch }]);
    expect(a.reattached).to.deep.equal([{ taskId, epoch }]);
    expect(a.dropped).to.deep.equal([]);
    expect(a.channel.calls).to.have.length(0);
    expect(r.pool.runningOn('a').map((x) => x.taskId)).to.deep.equal([taskId]);
    expect(r.pool.report('a', { taskId, epoch, result: { answer: 42 } })).to.equal(true);
    const done = r.pool.get(taskId);
    expect(done.state).to.equal('COMPLETED');
    expect(done.result).to.deep.equal({ answer: 42 });
    expect(done.attempts).to.have.length(1);
    // A second report of the same attempt is stale.
    expect(r.pool.report('a', { taskId, epoch, result: 1 })).to.equal(false);
    expect(r.pool.staleEpochReports).to.equal(1);
  });

  it('tells an agent to drop tasks that are not its own or carry another epoch, and requeues its own it did not report', () => {
    const h = poolHarness();
    h.addAgent('a', 1);
    h.addAgent('b', 1);
    const t1 = h.pool.assign({ type: 'x' }).task.taskId;
    const t2 = h.pool.assign({ type: 'x' }).task.taskId;
    const onA = h.pool.get(t1).agentId === 'a' ? t1 : t2;
    const onB = onA === t1 ? t2 : t1;
    const r = restarted(h.store, h.clock);
    const a = r.connect('a', [
      { taskId: onB, epoch: 1 },
      { taskId: 'unknown', epoch: 1 },
    ]);
    expect(a.reattached).to.deep.equal([]);
    expect(a.dropped.map((d) => d.taskId)).to.deep.equal([onB, 'unknown']);
    // a's own task was not reported: requeued and dispatched again, to a, with a new epoch.
    expect(a.channel.calls.map((c) => [c.params.taskId, c.params.epoch])).to.deep.equal([[onA, 2]]);
    const b = r.connect('b', [{ taskId: onB, epoch: 7 }]);
    expect(b.dropped).to.deep.equal([{ taskId: onB, epoch: 7 }]);
  });

  it('requeues with a new epoch what no agent reattached within the grace period, and ignores the old epoch’s report', async () => {
    const h = poolHarness();
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x' }).task.taskId;
    const r = restarted(h.store, h.clock, { reattachGraceMs: 30_000 });
    r.clock.advance(29_999);
    expect(r.pool.get(taskId).state).to.equal('IN_PROGRESS');
    r.clock.advance(1);
    expect(r.pool.get(taskId).state).to.equal('PENDING');
    expect(r.pool.awaitingReattach).to.equal(0);
    const late = r.connect('a', [{ taskId, epoch: 1 }]);
    expect(late.dropped).to.deep.equal([{ taskId, epoch: 1 }]);
    expect(late.channel.calls.map((c) => c.params.epoch)).to.deep.equal([2]);
    expect(r.pool.report('a', { taskId, epoch: 1, result: 'old' })).to.equal(false);
    late.channel.call(taskId).complete('new');
    await r.settle();
    expect(r.pool.get(taskId)).to.include({ state: 'COMPLETED', result: 'new' });
  });

  it('a reattached attempt keeps its original deadline and fails by timeout like any other', () => {
    const h = poolHarness({ defaultTaskTimeoutMs: 10_000 });
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x', maxAttempts: 1 }).task.taskId;
    h.clock.advance(6000);
    const r = restarted(h.store, h.clock);
    r.connect('a', [{ taskId, epoch: 1 }]);
    r.clock.advance(3999);
    expect(r.pool.get(taskId).state).to.equal('IN_PROGRESS');
    r.clock.advance(1);
    expect(r.pool.get(taskId).state).to.equal('FAILED');
  });

  it('a reported error fails the attempt as a task.run error would (retry when retryable)', () => {
    const h = poolHarness();
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x', maxAttempts: 1 }).task.taskId;
    const r = restarted(h.store, h.clock);
    r.connect('a', [{ taskId, epoch: 1 }]);
    expect(r.pool.report('a', { taskId, epoch: 1, error: { code: -32000, message: 'nope', data: { retryable: false } } })).to.equal(true);
    expect(r.pool.get(taskId)).to.include({ state: 'FAILED' });
    expect(r.pool.get(taskId).error).to.deep.include({ code: -32000, message: 'nope' });
  });

  it('a report from another agent or for a task not running is stale', () => {
    const h = poolHarness();
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x' }).task.taskId;
    expect(h.pool.report('b', { taskId, epoch: 1, result: 1 })).to.equal(false);
    expect(h.pool.report('a', { taskId: 'nope', epoch: 1, result: 1 })).to.equal(false);
    expect(h.pool.report('a', { taskId, epoch: 1, result: 1 })).to.equal(true);
    expect(h.pool.get(taskId).state).to.equal('COMPLETED');
  });

  it('a cancel while the task waits for its agent ends it CANCELLED when the grace period ends', () => {
    const h = poolHarness();
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x' }).task.taskId;
    const r = restarted(h.store, h.clock, { reattachGraceMs: 1000 });
    r.pool.cancel(taskId);
    r.clock.advance(1000);
    expect(r.pool.get(taskId).state).to.equal('CANCELLED');
  });
});

describe('PoolService shutdown for a restart on a durable store (detach)', () => {
  it('leaves running attempts IN_PROGRESS, sends no task.cancel, and ignores the closing connections', async () => {
    const h = poolHarness();
    const a = h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x' }).task.taskId;
    const stopping = h.pool.shutdown(10, { detach: true });
    h.clock.advance(10);
    const result = await stopping;
    expect(result).to.deep.equal({ drained: false, requeued: 0, detached: 1 });
    h.pool.disconnected('a', h.sessionOf('a'));
    // The connection's pending task.run fails as the socket closes: not an outcome either.
    a.call(taskId).disconnect();
    await h.settle();
    expect(h.pool.get(taskId).state).to.equal('IN_PROGRESS');
    expect(a.notifications).to.deep.equal([]);
    // The next start finds it waiting for its agent.
    const r = restarted(h.store, h.clock);
    expect(r.pool.awaitingReattach).to.equal(1);
    expect(r.connect('a', [{ taskId, epoch: 1 }]).reattached).to.deep.equal([{ taskId, epoch: 1 }]);
  });
});

describe('PoolService: an agent lost with its replica (cluster mode)', () => {
  it('keeps its running attempts IN_PROGRESS for the grace period; reattached elsewhere, the same attempt completes', async () => {
    const h = poolHarness({ reattachGraceMs: 10_000 });
    const agent = h.addAgent('a', 2);
    const taskId = h.pool.assign({ type: 'llm' }).task.taskId;
    const session = h.sessionOf('a');
    h.pool.disconnectedAwaitingReattach('a', session);
    // The closed connection's failed request is not an outcome.
    agent.call(taskId).disconnect();
    await h.settle();
    expect(h.pool.agents.get('a')).to.equal(undefined);
    expect(h.pool.get(taskId).state).to.equal('IN_PROGRESS');
    expect(h.pool.awaitingReattach).to.equal(1);
    expect(h.pool.staleEpochReports).to.equal(0);
    const back = h.pool.registerWithRunning({ agentId: 'a', capacity: 2, capabilities: [], channel: agent, sessionId: 'elsewhere' }, [{ taskId, epoch: 1 }]);
    expect(back.reattached).to.deep.equal([{ taskId, epoch: 1 }]);
    expect(h.pool.report('a', { taskId, epoch: 1, result: 'done' })).to.equal(true);
    expect(h.pool.get(taskId)).to.include({ state: 'COMPLETED', result: 'done' });
    expect(h.pool.get(taskId).attempts).to.have.length(1);
  });

  it('requeues them with a new epoch when the agent does not come back within the grace period; another session is left alone', () => {
    const h = poolHarness({ reattachGraceMs: 10_000 });
    h.addAgent('a', 1);
    const taskId = h.pool.assign({ type: 'x' }).task.taskId;
    h.pool.disconnectedAwaitingReattach('a', 'not-its-session');
    expect(h.pool.agents.get('a')).to.not.equal(undefined);
    h.pool.disconnectedAwaitingReattach('a', h.sessionOf('a'));
    h.clock.advance(9_999);
    expect(h.pool.get(taskId).state).to.equal('IN_PROGRESS');
    h.clock.advance(1);
    expect(h.pool.get(taskId).state).to.equal('PENDING');
    const b = h.addAgent('b', 1);
    expect(b.calls.map((c) => [c.params.taskId, c.params.epoch])).to.deep.equal([[taskId, 2]]);
  });
});
