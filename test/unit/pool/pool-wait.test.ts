import { expect } from 'chai';
import { poolHarness, type FakeAgent } from '../../support/pool-harness.js';

/**
 * RIPPLE_COORDINATION may hold a task for a busy agent expected to finish it sooner than any free
 * one (issue 14). A fast agent 'f' (10 ms a task) and a slow one 's' (100 ms), one slot each, are
 * first taught to the router through tasks pinned to them (a preferred agent is never held).
 */
async function trained(options: Parameters<typeof poolHarness>[0] = {}) {
  const h = poolHarness({ defaultStrategy: 'RIPPLE_COORDINATION', ...options });
  const f = h.addAgent('f');
  const s = h.addAgent('s');
  const run = async (agent: FakeAgent, ms: number): Promise<void> => {
    const { task } = h.pool.assign({ type: 'teach', preferredAgentId: agent.agentId });
    h.clock.advance(ms);
    agent.call(task.taskId).complete();
    await h.settle();
  };
  for (let i = 0; i < 5; i++) {
    await run(f, 10);
    await run(s, 100);
  }
  /** Keep 'f' busy with a pinned task; returns a function that finishes it. */
  const occupyFast = (): (() => Promise<void>) => {
    const { task } = h.pool.assign({ type: 'occupy', preferredAgentId: 'f' });
    return async () => {
      f.call(task.taskId).complete();
      await h.settle();
    };
  };
  return { ...h, f, s, occupyFast };
}

const agentOf = (h: Awaited<ReturnType<typeof trained>>, taskId: string): string | undefined => h.pool.get(taskId).agentId;

describe('PoolService: RIPPLE holds a task for a better busy agent', () => {
  it('holds the task while only the slow agent is free, and gives it the fast slot when it frees', async () => {
    const h = await trained();
    const release = h.occupyFast();
    const { task } = h.pool.assign({ type: 'job' });
    expect(h.pool.get(task.taskId).state).to.equal('PENDING');
    expect(h.s.calls.some((c) => c.params.taskId === task.taskId)).to.equal(false);
    expect(h.router.holdStats()).to.include({ tasksHeld: 1, ended: 0 });
    h.clock.advance(5);
    await release();
    expect(h.pool.get(task.taskId).state).to.equal('IN_PROGRESS');
    expect(agentOf(h, task.taskId)).to.equal('f');
    expect(h.router.holdStats()).to.deep.equal({ tasksHeld: 1, ended: 1, totalMs: 5, maxMs: 5 });
  });

  it('lets the hold expire on the clock (no slot frees): bounded by the best free agent’s expected time', async () => {
    const h = await trained();
    h.occupyFast();
    const { task } = h.pool.assign({ type: 'job' });
    expect(h.pool.get(task.taskId).state).to.equal('PENDING');
    h.clock.advance(50);
    expect(h.pool.get(task.taskId).state).to.equal('PENDING');
    // The slow agent's typical latency is 100 ms: the hold ends by then and the timer places it.
    h.clock.advance(60);
    expect(h.pool.get(task.taskId).state).to.equal('IN_PROGRESS');
    expect(agentOf(h, task.taskId)).to.equal('s');
    const { maxMs } = h.router.holdStats();
    expect(maxMs).to.be.greaterThan(90).and.at.most(100.5);
  });

  it('never holds beyond the task’s own timeout', async () => {
    const h = await trained();
    h.occupyFast();
    const { task } = h.pool.assign({ type: 'job', timeoutMs: 20 });
    expect(h.pool.get(task.taskId).state).to.equal('PENDING');
    h.clock.advance(20);
    expect(agentOf(h, task.taskId)).to.equal('s');
  });

  it('never holds beyond the affinity wait', async () => {
    const h = await trained({ affinityWaitMs: 30 });
    h.occupyFast();
    const { task } = h.pool.assign({ type: 'job' });
    h.clock.advance(29);
    expect(h.pool.get(task.taskId).state).to.equal('PENDING');
    h.clock.advance(1);
    expect(agentOf(h, task.taskId)).to.equal('s');
  });

  it('does not second-guess a preferred agent or an affinity key', async () => {
    const h = await trained();
    h.occupyFast();
    // Preferred 'f' is busy: the task goes where it would have gone without waiting.
    const preferred = h.pool.assign({ type: 'job', preferredAgentId: 'f' }).task;
    expect(agentOf(h, preferred.taskId)).to.equal('s');
    expect(h.router.holdStats().tasksHeld).to.equal(0);
  });

  it('does not second-guess an affinity key', async () => {
    const h = await trained();
    h.occupyFast();
    const keyed = h.pool.assign({ type: 'job', affinityKey: 'k' }).task;
    expect(agentOf(h, keyed.taskId)).to.equal('s');
    expect(h.router.holdStats().tasksHeld).to.equal(0);
  });

  it('keeps priority order among held tasks, and the longest-waiting first within a priority', async () => {
    const h = await trained();
    let release = h.occupyFast();
    // Keep the slow agent busy too, so nothing is placed on it while we line tasks up.
    const slowTask = h.pool.assign({ type: 'occupy', preferredAgentId: 's' }).task;
    const low = h.pool.assign({ type: 'low', priority: 0 }).task;
    h.clock.advance(1);
    const first = h.pool.assign({ type: 'first', priority: 5 }).task;
    h.clock.advance(1);
    const second = h.pool.assign({ type: 'second', priority: 5 }).task;
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await release();
      const next = h.f.calls[h.f.calls.length - 1]!.params.taskId;
      order.push(next);
      release = async () => {
        h.f.call(next).complete();
        await h.settle();
      };
    }
    expect(order).to.deep.equal([first.taskId, second.taskId, low.taskId]);
    h.s.call(slowTask.taskId).complete();
  });

  it('cannot starve: a held task whose bound passed takes the free slot before newer tasks wait', async () => {
    const h = await trained();
    h.occupyFast();
    const old = h.pool.assign({ type: 'old' }).task;
    h.clock.advance(100);
    expect(agentOf(h, old.taskId)).to.equal('s');
    const fresh = h.pool.assign({ type: 'fresh' }).task;
    expect(h.pool.get(fresh.taskId).state).to.equal('PENDING');
  });

  it('cold start: a free agent never observed is tried at once, not waited past', async () => {
    const h = await trained();
    h.occupyFast();
    h.addAgent('n');
    const { task } = h.pool.assign({ type: 'job' });
    expect(h.pool.get(task.taskId).state).to.equal('IN_PROGRESS');
    expect(h.router.holdStats().tasksHeld).to.equal(0);
  });

  it('places the task among the clearly faster free agents only', async () => {
    const h = await trained();
    // Both free: RIPPLE’s shortlist (3×) leaves the 10× slower agent out.
    for (let i = 0; i < 5; i++) {
      const { task } = h.pool.assign({ type: 'job' });
      expect(agentOf(h, task.taskId)).to.equal('f');
      h.clock.advance(10);
      h.f.call(task.taskId).complete();
      await h.settle();
    }
  });

  it('baselines stay work-conserving: LEAST_LOADED places the task on the free slow agent', async () => {
    const h = await trained({ defaultStrategy: 'LEAST_LOADED' });
    h.occupyFast();
    const { task } = h.pool.assign({ type: 'job' });
    expect(agentOf(h, task.taskId)).to.equal('s');
    expect(h.router.holdStats().tasksHeld).to.equal(0);
  });

  it('a cancelled held task ends its hold', async () => {
    const h = await trained();
    h.occupyFast();
    const { task } = h.pool.assign({ type: 'job' });
    h.clock.advance(7);
    const timers = h.clock.pendingTimers();
    h.pool.cancel(task.taskId);
    expect(h.router.holdStats()).to.deep.equal({ tasksHeld: 1, ended: 1, totalMs: 7, maxMs: 7 });
    expect(h.clock.pendingTimers()).to.equal(timers - 1); // its hold timer is gone
  });
});
