import { expect } from 'chai';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import { sequentialIds } from '../../../src/ids.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('CoordinationService, the router-facing reads', () => {
  it('forecastLoad gives the same forecast as predictOverload without counting it, and undefined for unknown agents', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds('s') });
    for (const v of [0.2, 0.4, 0.6, 0.8]) {
      svc.record({ agentId: 'a', signalType: 'load', value: v });
      clock.advance(1000);
    }
    const forecast = svc.forecastLoad('a', 5);
    expect(svc.stats().predictions.total).to.equal(0);
    expect(svc.predictOverload('a', 5)).to.deep.equal(forecast);
    expect(svc.stats().predictions.total).to.equal(1);
    expect(svc.forecastLoad('nobody', 5)).to.equal(undefined);
  });

  it('lastSignalAt is the newest signal’s time, undefined for unknown agents', () => {
    const clock = new VirtualClock();
    const svc = new CoordinationService({ clock, ids: sequentialIds('s') });
    svc.record({ agentId: 'a', signalType: 'load', value: 0.5 });
    clock.advance(250);
    svc.record({ agentId: 'a', signalType: 'quality', value: 0.5 });
    expect(svc.lastSignalAt('a')).to.equal(clock.now());
    expect(svc.lastSignalAt('b')).to.equal(undefined);
  });
});
