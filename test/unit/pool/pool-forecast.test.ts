import { expect } from 'chai';
import { poolHarness } from '../../support/pool-harness.js';

describe('PoolService.forecastLoad (the pool’s own load forecast)', () => {
  it('knows only its agents and nothing before an attempt has finished; then sees a backlog that outlasts the horizon', async () => {
    const { pool, addAgent, clock, settle } = poolHarness();
    const a = addAgent('a', 2);
    const b = addAgent('b', 2);
    expect(pool.forecastLoad('ghost', 5)).to.equal(undefined);
    // 4 slots; 3 tasks per second arrive and each agent finishes one per second: the fleet does 2/s.
    const finished = new Set<string>();
    for (let s = 0; s < 20; s++) {
      for (let k = 0; k < 3; k++) pool.assign({ type: 'x' });
      clock.advance(1000);
      for (const agent of [a, b]) {
        const oldest = agent.calls.find((c) => !finished.has(c.params.taskId));
        finished.add(oldest!.params.taskId);
        oldest!.complete();
      }
      await settle();
    }
    const queued = pool.queueStats().depth;
    expect(queued, 'more arrived than finished').to.be.greaterThan(10);
    const f = pool.forecastLoad('a', 5)!;
    expect(f).to.deep.include({ saturated: true, predictedLoad: 1 });
    expect(f.confidence).to.be.greaterThan(0);
  });

  it('below capacity, relaxes a busy agent towards the fleet and empties a draining one', async () => {
    const { pool, addAgent, clock, settle } = poolHarness();
    const a = addAgent('a', 2);
    addAgent('b', 2);
    for (let s = 0; s < 10; s++) {
      pool.assign({ type: 'x', preferredAgentId: 'a' });
      clock.advance(500);
      a.calls.at(-1)!.complete();
      await settle();
    }
    pool.assign({ type: 'x', preferredAgentId: 'a' });
    pool.assign({ type: 'x', preferredAgentId: 'a' });
    expect(pool.forecastLoad('a', 0.001)!.predictedLoad, 'now: both slots busy').to.be.above(0.99);
    expect(pool.forecastLoad('a', 30)!.predictedLoad, 'later: towards the fleet’s level (2 of 4 slots)').to.be.within(0.3, 0.7);
    expect(pool.forecastLoad('b', 30)!.saturated).to.equal(false);
    void pool.drain('a', 60_000);
    expect(pool.forecastLoad('a', 30)!.predictedLoad, 'draining: only empties').to.be.below(0.01);
  });
});
