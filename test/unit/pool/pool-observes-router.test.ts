import { expect } from 'chai';
import type { Observation } from '../../../src/routing/strategy.js';
import { poolHarness } from '../../support/pool-harness.js';

/** A pool whose router records every observation the pool reports to it. */
function observed() {
  const h = poolHarness({ defaultMaxAttempts: 1 });
  const seen: Observation[] = [];
  const observe = h.router.observe.bind(h.router);
  h.router.observe = (o: Observation) => {
    seen.push(o);
    observe(o);
  };
  return { ...h, seen };
}

describe('PoolService → router.observe (the router learns from every finished attempt)', () => {
  it('reports a completed, a failed, a timed-out and a lost attempt with the agent, its latency and the time', async () => {
    const h = observed();
    const a = h.addAgent('a', 4);
    const t0 = h.clock.now();
    const done = h.pool.assign({ type: 'ok' }).task.taskId;
    const failed = h.pool.assign({ type: 'bad' }).task.taskId;
    const slow = h.pool.assign({ type: 'slow', timeoutMs: 300 }).task.taskId;
    h.clock.advance(120);
    a.call(done).complete();
    await h.settle();
    h.clock.advance(30);
    a.call(failed).fail('boom');
    await h.settle();
    h.clock.advance(200); // 350 ms: the 300 ms attempt timed out
    const lost = h.pool.assign({ type: 'lost' }).task.taskId;
    h.clock.advance(50);
    h.pool.disconnected('a', h.sessionOf('a'));
    expect(h.seen.map((o) => [o.agentId, o.outcome, o.latencyMs, o.at - t0])).to.deep.equal([
      ['a', 'completed', 120, 120],
      ['a', 'failed', 150, 150],
      ['a', 'timeout', 300, 300],
      ['a', 'lost', 50, 400],
    ]);
    expect(h.router.observedStats.get('a', t0 + 400)).to.deep.include({ attempts: 4, successes: 1, failures: 3 });
    expect(lost).to.be.a('string');
  });

  it('does not report a cancelled attempt (it says nothing about the agent)', async () => {
    const h = observed();
    const a = h.addAgent('a');
    const id = h.pool.assign({ type: 'x' }).task.taskId;
    h.pool.cancel(id);
    h.clock.advance(10);
    a.call(id).fail('cancelled');
    await h.settle();
    expect(h.pool.get(id).state).to.equal('CANCELLED');
    expect(h.seen).to.deep.equal([]);
  });
});
