import { expect } from 'chai';
import { CoordinationService, type RegisteredAgents } from '../../../src/coordination/coordination-service.js';
import { AppError } from '../../../src/errors.js';
import { sequentialIds } from '../../../src/ids.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('CoordinationService and registered agents without signals (passed to each query, as LoadForecasts does)', () => {
  function service(ids: string[]) {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds('sig') });
    const pool: RegisteredAgents = { has: (id) => ids.includes(id), ids: () => ids };
    return { clock, svc, pool };
  }

  it('answers state() for a registered agent with default scores, no signals and lastUpdated 0; UNKNOWN_AGENT for others', () => {
    const { svc, pool } = service(['quiet']);
    const state = svc.state('quiet', pool);
    expect(state).to.deep.include({ agentId: 'quiet', signals: [], routingScore: 0.5, lastUpdated: 0 });
    expect(state.scores).to.deep.equal({ load: 0.5, capacity: 0.5, quality: 0.5, cost: 0.5, latency: 0.5, availability: 0.5 });
    expect(state.overload).to.include({ willOverload: false, samples: 0, basis: 'signals' });
    expect(() => svc.state('stranger', pool)).to.throw(AppError, /Unknown agent/);
  });

  it('lists agents with signals and registered agents once each, in id order, across pages', () => {
    const { svc, pool } = service(['b-quiet', 'd-both', 'f-quiet']);
    for (const agentId of ['a-signals', 'd-both', 'e-signals']) svc.record({ agentId, signalType: 'load', value: 0.4 });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = svc.list({ limit: 2, cursor }, pool);
      expect(page.total).to.equal(5);
      ids.push(...page.agents.map((a) => a.agentId));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(ids).to.deep.equal(['a-signals', 'b-quiet', 'd-both', 'e-signals', 'f-quiet']);
    const all = svc.list({}, pool);
    expect(all.agents.find((a) => a.agentId === 'b-quiet')!.signals).to.deep.equal([]);
    expect(all.agents.find((a) => a.agentId === 'd-both')!.signals).to.have.length(1);
  });
});
