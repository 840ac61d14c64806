import { expect } from 'chai';
import { CircuitBreakers } from '../../../src/routing/circuit-breaker.js';
import { poolHarness } from '../../support/pool-harness.js';

/** Task assignment honours the per-agent circuit breakers shared with message routing. */
describe('PoolService with circuit breakers', () => {
  function setup() {
    let breakers!: CircuitBreakers;
    let h!: ReturnType<typeof poolHarness>;
    h = poolHarness({ defaultMaxAttempts: 1 }, 1, (clock) => {
      breakers = new CircuitBreakers(
        // The pool subscribes to the breakers going half-open itself (AgentGate.onReopen).
        { clock, isLive: (id) => h.pool.agents.get(id) !== undefined },
        { failureThreshold: 2, cooldownMs: 10_000 },
      );
      return breakers;
    });
    return { h, breakers: () => breakers };
  }

  /** Two failed single-attempt tasks on `agent`: enough to open its breaker (failureThreshold 2). */
  async function failTwice(h: ReturnType<typeof poolHarness>, agent: ReturnType<ReturnType<typeof poolHarness>['addAgent']>, message?: string) {
    for (let i = 0; i < 2; i++) {
      const { task } = h.pool.assign({ type: 'job', maxAttempts: 1 });
      agent.call(task.taskId).fail(message);
      await h.settle();
    }
  }

  it('failed attempts open the breaker and keep new tasks off the agent; successes elsewhere are unaffected', async () => {
    const { h, breakers } = setup();
    const flaky = h.addAgent('flaky', 1);
    await failTwice(h, flaky, 'model down');
    expect(breakers().state('flaky')).to.equal('open');
    const steady = h.addAgent('steady', 1);
    const { task } = h.pool.assign({ type: 'job' });
    expect(h.pool.get(task.taskId).agentId).to.equal('steady');
    steady.call(task.taskId).complete();
    await h.settle();
    const queued = h.pool.assign({ type: 'job' }).task;
    const another = h.pool.assign({ type: 'job' }).task;
    expect(h.pool.get(queued.taskId).agentId).to.equal('steady');
    expect(h.pool.get(another.taskId).state, 'flaky is free but its breaker is open').to.equal('PENDING');
  });

  it('half-open after the cooldown: one queued task goes to the agent as its trial; success closes the breaker', async () => {
    const { h, breakers } = setup();
    const flaky = h.addAgent('flaky', 2);
    await failTwice(h, flaky);
    const waiting = [h.pool.assign({ type: 'job' }).task.taskId, h.pool.assign({ type: 'job' }).task.taskId];
    expect(waiting.map((id) => h.pool.get(id).state)).to.deep.equal(['PENDING', 'PENDING']);
    h.clock.advance(10_000);
    await h.settle();
    expect(breakers().state('flaky')).to.equal('half_open');
    expect(
      waiting.map((id) => h.pool.get(id).state),
      'exactly one trial though capacity is 2',
    ).to.deep.equal(['IN_PROGRESS', 'PENDING']);
    flaky.call(waiting[0]!).complete();
    await h.settle();
    expect(breakers().state('flaky')).to.equal('closed');
    expect(h.pool.get(waiting[1]!).state).to.equal('IN_PROGRESS');
  });

  it('a failed trial opens the breaker again', async () => {
    const { h, breakers } = setup();
    const flaky = h.addAgent('flaky', 1);
    await failTwice(h, flaky);
    const trial = h.pool.assign({ type: 'job', maxAttempts: 1 }).task.taskId;
    h.clock.advance(10_000);
    await h.settle();
    flaky.call(trial).fail();
    await h.settle();
    expect(breakers().state('flaky')).to.equal('open');
  });

  it('a cancelled trial gives the trial back: the next queued task becomes the trial', async () => {
    const { h, breakers } = setup();
    const flaky = h.addAgent('flaky', 1);
    await failTwice(h, flaky);
    const trial = h.pool.assign({ type: 'job' }).task.taskId;
    const next = h.pool.assign({ type: 'job' }).task.taskId;
    h.clock.advance(10_000);
    await h.settle();
    expect(h.pool.get(trial).state).to.equal('IN_PROGRESS');
    h.pool.cancel(trial);
    flaky.call(trial).complete();
    await h.settle();
    expect(h.pool.get(trial).state).to.equal('CANCELLED');
    expect(breakers().state('flaky'), 'a cancel says nothing about the agent').to.equal('half_open');
    expect(h.pool.get(next).state, 'the trial slot was given back').to.equal('IN_PROGRESS');
    flaky.call(next).complete();
    await h.settle();
    expect(breakers().state('flaky')).to.equal('closed');
  });

  it('an agent that leaves with tasks running leaves no breaker behind; it comes back with a clean slate', async () => {
    const { h, breakers } = setup();
    const w = h.addAgent('w', 2);
    const tasks = [h.pool.assign({ type: 'job' }).task.taskId, h.pool.assign({ type: 'job' }).task.taskId];
    expect(tasks.map((t) => h.pool.get(t).agentId)).to.deep.equal(['w', 'w']);
    h.pool.disconnected('w', h.sessionOf('w'));
    w.call(tasks[0]!).disconnect();
    w.call(tasks[1]!).disconnect();
    await h.settle();
    expect(breakers().entries(), 'the lost attempts did not re-create an entry').to.deep.equal([]);
    h.addAgent('w', 2);
    expect(
      tasks.map((t) => h.pool.get(t).state),
      'requeued work goes straight back',
    ).to.deep.equal(['IN_PROGRESS', 'IN_PROGRESS']);
  });
});
