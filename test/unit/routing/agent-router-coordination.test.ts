import { expect } from 'chai';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import { sequentialIds } from '../../../src/ids.js';
import { seededRandom } from '../../../src/random.js';
import { AgentRouter } from '../../../src/routing/agent-router.js';
import type { Candidate } from '../../../src/routing/strategy.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { candidates, tally } from './fakes.js';

describe('AgentRouter with the CoordinationService as ScoreSource', () => {
  function setup(): { clock: VirtualClock; service: CoordinationService; router: AgentRouter } {
    const clock = new VirtualClock();
    const service = new CoordinationService({ clock, ids: sequentialIds('sig') }, { signalTtlMs: 10_000 });
    const router = new AgentRouter({ random: seededRandom(1), scores: service });
    return { clock, service, router };
  }

  it('routes to the agent with the best signals, then falls back once they expire (nothing observed)', () => {
    const { clock, service, router } = setup();
    service.record({ agentId: 'a', signalType: 'load', value: 0.9 });
    service.record({ agentId: 'b', signalType: 'load', value: 0.1 });
    service.record({ agentId: 'c', signalType: 'quality', value: 0.2 });
    const list = candidates('a', 'b', 'c');

    const result = router.select(list);
    expect(result).to.include({ agentId: 'b', strategy: 'RIPPLE_COORDINATION', fallback: false });
    expect(result.score).to.equal(service.routingScore('b'));

    clock.advance(10_000);
    expect(router.select(list)).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'no_live_signals' });
  });

  it('lets signals fade to neutral as they age, leaving the decision to observations', () => {
    const { clock, service, router } = setup();
    // a claims to be excellent; b says nothing. Both observed, b somewhat faster.
    for (const signalType of ['quality', 'capacity', 'availability'] as const) service.record({ agentId: 'a', signalType, value: 1 });
    for (const signalType of ['load', 'cost', 'latency'] as const) service.record({ agentId: 'a', signalType, value: 0 });
    for (let i = 0; i < 20; i++) {
      router.observe({ agentId: 'a', latencyMs: 130, outcome: 'completed', at: clock.now() });
      router.observe({ agentId: 'b', latencyMs: 100, outcome: 'completed', at: clock.now() });
    }
    const list = candidates('a', 'b');
    expect(tally(50, () => router.select(list).agentId).get('a')).to.equal(50); // fresh claim (trust ½): ×0.71

    clock.advance(9_000); // freshness (1 − 0.9)²(1 + 1.8) ≈ 0.03: the claim has all but faded
    const late = tally(50, () => router.select(list).agentId);
    expect(late.get('b')).to.equal(50);
    expect(router.stats().fallbacks).to.equal(0);

    clock.advance(1_000); // expired: still no fallback, the observations are recent
    expect(router.select(list)).to.include({ agentId: 'b', fallback: false });
  });

  it('steers away from an agent whose own load trend predicts overload', () => {
    const { clock, service, router } = setup();
    // rising is less loaded right now (0.74 < 0.8) but climbing fast; steady stays below the threshold.
    for (let i = 0; i < 10; i++) {
      service.record({ agentId: 'rising', signalType: 'load', value: 0.2 + i * 0.06 });
      service.record({ agentId: 'steady', signalType: 'load', value: 0.8 });
      clock.advance(200);
    }
    expect(service.routingScore('rising')).to.be.above(service.routingScore('steady'));
    expect(service.predictOverload('rising', 5).willOverload).to.equal(true);
    expect(service.predictOverload('steady', 5).willOverload).to.equal(false);
    const list: Candidate[] = [
      { agentId: 'rising', inFlight: 0, capacity: 4 },
      { agentId: 'steady', inFlight: 0, capacity: 4 },
    ];
    expect(tally(50, () => router.select(list).agentId).get('steady')).to.equal(50);
  });
});
