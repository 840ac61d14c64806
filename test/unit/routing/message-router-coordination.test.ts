import { expect } from 'chai';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import { sequentialIds } from '../../../src/ids.js';
import { seededRandom } from '../../../src/random.js';
import { MessageRouter } from '../../../src/routing/message-router.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { candidates } from './fakes.js';

describe('MessageRouter with the CoordinationService as ScoreSource', () => {
  it('routes to the agent with the best signals, then falls back once they expire', () => {
    const clock = new VirtualClock();
    const service = new CoordinationService({ clock, ids: sequentialIds('sig') }, { signalTtlMs: 10_000 });
    service.record({ agentId: 'a', signalType: 'load', value: 0.9 });
    service.record({ agentId: 'b', signalType: 'load', value: 0.1 });
    service.record({ agentId: 'c', signalType: 'quality', value: 0.2 });
    const router = new MessageRouter({ random: seededRandom(1), scores: service });
    const list = candidates('a', 'b', 'c');

    const result = router.select(list);
    expect(result).to.include({ agentId: 'b', strategy: 'RIPPLE_COORDINATION', fallback: false });
    expect(result.score).to.equal(service.routingScore('b'));

    clock.advance(10_000);
    expect(router.select(list)).to.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'no_live_signals' });
  });
});
