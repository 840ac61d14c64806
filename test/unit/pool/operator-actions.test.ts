import { expect } from 'chai';
import { AppError } from '../../../src/errors.js';
import type { PoolObserver } from '../../../src/pool/pool-observer.js';
import { poolHarness } from '../../support/pool-harness.js';

/** The AppError name `fn` threw (fails the test if it threw nothing or something else). */
const nameOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return (e as AppError).errorName;
  }
  return expect.fail('expected an AppError');
};

describe('PoolService operator actions', () => {
  function harness() {
    const admin: string[] = [];
    const retried: string[] = [];
    const observer: PoolObserver = { agentAdmin: (id, action) => admin.push(`${action}:${id}`), retried: (t) => retried.push(t.taskId) };
    return { ...poolHarness({ defaultMaxAttempts: 2 }, 1, undefined, observer), admin, retried };
  }

  describe('updateAgent', () => {
    it('raises capacity (queued work starts at once), replaces capabilities and tags, counts the change', async () => {
      const h = harness();
      const a = h.addAgent('a', 1, ['text']);
      const t1 = h.pool.assign({ type: 'x' }).task.taskId;
      const t2 = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.get(t2).state).to.equal('PENDING');
      const agent = h.pool.operator.updateAgent('a', { capacity: 2, capabilities: ['gpu'], tags: ['blue', 'blue', 'eu'] });
      expect(agent.capacity).to.equal(2);
      expect([...agent.capabilities]).to.deep.equal(['gpu']);
      expect(agent.tags).to.deep.equal(['blue', 'eu']);
      expect(h.pool.get(t2).state, 'the new slot took the queued task').to.equal('IN_PROGRESS');
      expect(a.calls.map((c) => c.params.taskId)).to.deep.equal([t1, t2]);
      expect(h.admin).to.deep.equal(['update:a']);
    });

    it('lowers capacity without cutting running tasks short; capacity 0 takes no new work', async () => {
      const h = harness();
      const a = h.addAgent('a', 2);
      const [t1, t2] = [h.pool.assign({ type: 'x' }).task.taskId, h.pool.assign({ type: 'x' }).task.taskId];
      h.pool.operator.updateAgent('a', { capacity: 0 });
      expect(h.pool.get(t1).state).to.equal('IN_PROGRESS');
      a.call(t1).complete();
      a.call(t2).complete();
      await h.settle();
      expect(h.pool.get(t2).state).to.equal('COMPLETED');
      const t3 = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.get(t3).state).to.equal('PENDING');
      expect(a.calls).to.have.length(2);
    });

    it('answers UNKNOWN_AGENT for an agent that is not registered', () => {
      const h = harness();
      expect(nameOf(() => h.pool.operator.updateAgent('ghost', { capacity: 1 }))).to.equal('UNKNOWN_AGENT');
      expect(nameOf(() => h.pool.operator.drainAgent('ghost'))).to.equal('UNKNOWN_AGENT');
      expect(nameOf(() => h.pool.operator.removeByOperator('ghost', false))).to.equal('UNKNOWN_AGENT');
      expect(h.admin).to.deep.equal([]);
    });
  });

  describe('drainAgent', () => {
    it('makes the agent DRAINING: it finishes what runs and gets nothing new; counted once', async () => {
      const h = harness();
      const a = h.addAgent('a', 2);
      const t1 = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.operator.drainAgent('a').lastState).to.equal('DRAINING');
      h.pool.operator.drainAgent('a');
      const t2 = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.get(t2).state).to.equal('PENDING');
      a.call(t1).complete();
      await h.settle();
      expect(h.pool.get(t1).state).to.equal('COMPLETED');
      expect(a.calls).to.have.length(1);
      expect(h.pool.agents.get('a')!.lastState).to.equal('DRAINING');
      expect(h.admin).to.deep.equal(['drain:a']);
      // Another agent takes the queued work.
      h.addAgent('b', 1);
      expect(h.pool.get(t2).agentId).to.equal('b');
    });
  });

  describe('removeByOperator', () => {
    it('removes an idle agent at once and closes its connection', () => {
      const h = harness();
      const a = h.addAgent('a', 1);
      expect(h.pool.operator.removeByOperator('a', false)).to.deep.equal({ removed: true, requeued: 0 });
      expect(h.pool.agents.get('a')).to.equal(undefined);
      expect(a.closed).to.equal('removed by an operator');
      expect(h.admin).to.deep.equal(['remove:a']);
    });

    it('without force drains a busy agent and removes it when its last task ends (the task completes)', async () => {
      const h = harness();
      const a = h.addAgent('a', 1);
      const t1 = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.operator.removeByOperator('a', false)).to.deep.equal({ removed: false, requeued: 0 });
      expect(h.pool.agents.get('a')!.lastState).to.equal('DRAINING');
      expect(a.closed).to.equal(undefined);
      a.call(t1).complete({ done: true });
      await h.settle();
      expect(h.pool.get(t1)).to.include({ state: 'COMPLETED' });
      expect(h.pool.agents.get('a')).to.equal(undefined);
      expect(a.closed).to.equal('removed by an operator');
    });

    it('with force requeues what runs (another agent gets it) and disconnects now', async () => {
      const h = harness();
      const a = h.addAgent('a', 2);
      const [t1, t2] = [h.pool.assign({ type: 'x' }).task.taskId, h.pool.assign({ type: 'x' }).task.taskId];
      expect(h.pool.operator.removeByOperator('a', true)).to.deep.equal({ removed: true, requeued: 2 });
      expect(a.closed).to.equal('removed by an operator');
      expect([t1, t2].map((t) => h.pool.get(t).state)).to.deep.equal(['PENDING', 'PENDING']);
      const b = h.addAgent('b', 2);
      expect(b.calls.map((c) => c.params.taskId).sort()).to.deep.equal([t1, t2].sort());
      expect(h.pool.get(t1).attempts.map((x) => x.outcome)).to.deep.equal(['disconnected', 'running']);
      // The old attempt's late answer is stale and ignored.
      a.call(t1).complete();
      await h.settle();
      expect(h.pool.get(t1).state).to.equal('IN_PROGRESS');
      expect(h.admin).to.deep.equal(['force_remove:a']);
    });
  });

  describe('runningOn', () => {
    it('lists the running attempts of an agent, none for an unknown one', () => {
      const h = harness();
      h.addAgent('a', 2);
      h.clock.advance(5);
      const t1 = h.pool.assign({ type: 'kind' }).task.taskId;
      expect(h.pool.operator.runningOn('a')).to.deep.equal([{ taskId: t1, type: 'kind', epoch: 1, startedAt: h.clock.now() }]);
      expect(h.pool.operator.runningOn('ghost')).to.deep.equal([]);
    });
  });

  describe('retry', () => {
    it('runs a FAILED task again: same id, attempts kept, a fresh maxAttempts budget, counted', async () => {
      const h = harness();
      const a = h.addAgent('a', 1);
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      a.call(id).fail('one', { retryable: false });
      await h.settle();
      expect(h.pool.get(id).state).to.equal('FAILED');
      h.clock.advance(10);
      const again = h.pool.retry(id);
      expect(again.taskId).to.equal(id);
      expect(again.retry).to.deep.equal({ count: 1, at: h.clock.now(), afterAttempt: 1 });
      expect(again.error).to.equal(undefined);
      expect(again.finishedAt).to.equal(undefined);
      expect(again.state, 'dispatched at once to the free agent').to.equal('IN_PROGRESS');
      expect(again.attempts.map((x) => x.outcome)).to.deep.equal(['failed', 'running']);
      expect(again.epoch).to.equal(2);
      // Two more failures allowed (maxAttempts 2) before it is FAILED again.
      a.call(id).fail('two');
      await h.settle();
      expect(h.pool.get(id).state, 'first failure after the retry is retried by the pool').to.equal('PENDING');
      h.clock.advance(2000);
      a.call(id).fail('three');
      await h.settle();
      expect(h.pool.get(id).state).to.equal('FAILED');
      expect(h.pool.get(id).attempts).to.have.length(3);
      expect(h.retried).to.deep.equal([id]);
    });

    it('runs a CANCELLED task again and completes it', async () => {
      const h = harness();
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      h.pool.cancel(id);
      expect(h.pool.retry(id).state).to.equal('PENDING');
      const a = h.addAgent('a', 1);
      a.call(id).complete('ok');
      await h.settle();
      expect(h.pool.get(id)).to.include({ state: 'COMPLETED', result: 'ok', cancelRequested: false });
      expect(h.pool.get(id).retry!.count).to.equal(1);
    });

    it('refuses PENDING, IN_PROGRESS and COMPLETED tasks (NOT_RETRYABLE) and unknown ids (TASK_NOT_FOUND)', async () => {
      const h = harness();
      const pending = h.pool.assign({ type: 'x' }).task.taskId;
      expect(nameOf(() => h.pool.retry(pending))).to.equal('NOT_RETRYABLE');
      const a = h.addAgent('a', 1);
      expect(nameOf(() => h.pool.retry(pending))).to.equal('NOT_RETRYABLE');
      a.call(pending).complete();
      await h.settle();
      expect(nameOf(() => h.pool.retry(pending))).to.equal('NOT_RETRYABLE');
      expect(nameOf(() => h.pool.retry('nope'))).to.equal('TASK_NOT_FOUND');
      expect(h.retried).to.deep.equal([]);
    });
  });

  describe('list filters', () => {
    it('finds tasks by type, agent, time, idempotency key and trace id', () => {
      const h = harness();
      h.addAgent('a', 1);
      const t1 = h.pool.assign({ type: 'one', idempotencyKey: 'k1', traceId: 'tr1' }).task;
      h.clock.advance(100);
      const t2 = h.pool.assign({ type: 'two' }).task;
      const page = (f: Parameters<typeof h.pool.list>[0]) => h.pool.list(f, { limit: 10 }).tasks.map((t) => t.taskId);
      expect(page({ type: 'two' })).to.deep.equal([t2.taskId]);
      expect(page({ agentId: 'a' })).to.deep.equal([t1.taskId]);
      expect(page({ createdAfter: t2.createdAt })).to.deep.equal([t2.taskId]);
      expect(page({ createdBefore: t2.createdAt })).to.deep.equal([t1.taskId]);
      expect(page({ idempotencyKey: 'k1' })).to.deep.equal([t1.taskId]);
      expect(page({ traceId: 'tr1' })).to.deep.equal([t1.taskId]);
    });
  });
});
