import { expect } from 'chai';
import { LoadForecasts } from '../../../src/coordination/load-forecasts.js';
import { CoordinationService } from '../../../src/coordination/coordination-service.js';
import { sequentialIds } from '../../../src/ids.js';
import { OverloadPrediction } from '../../../src/schemas/coordination.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { NO_INFORMATION } from '../../support/forecasts.js';

function setup() {
  const clock = new VirtualClock();
  const svc = new CoordinationService({ clock, ids: sequentialIds() }, { overloadThreshold: 0.85 });
  const load = (value: number, ttlSeconds?: number) => svc.record({ agentId: 'a1', signalType: 'load', value, ...(ttlSeconds ? { ttlSeconds } : {}) });
  return { clock, svc, load };
}

describe('CoordinationService.predictOverload', () => {
  it('predicts overload from a rising trend before the load gets there', () => {
    const { clock, svc, load } = setup();
    for (const v of [0.5, 0.6, 0.7, 0.8]) {
      load(v);
      clock.advance(5_000);
    }
    // samples at 0, 5, 10, 15 s; now = 20 s: newest level 0.8 + slope 0.02/s × 5 s = 0.9
    const p = svc.predictOverload('a1');
    expect(p.willOverload).to.equal(true);
    expect(p.predictedLoad).to.be.closeTo(0.9, 1e-9);
    expect(p.samples).to.equal(4);
    expect(p.horizonSeconds).to.equal(5);
    expect(p.confidence).to.be.closeTo(0.4, 1e-9);
    expect(() => OverloadPrediction.parse(p)).not.to.throw();
  });

  it('extrapolates to the requested horizon', () => {
    const { clock, svc, load } = setup();
    for (const v of [0.1, 0.2, 0.3]) {
      load(v);
      clock.advance(10_000);
    }
    // samples at 0, 10, 20 s; now = 30 s; newest level 0.3, slope 0.01/s
    expect(svc.predictOverload('a1', 1).predictedLoad).to.be.closeTo(0.31, 1e-9);
    expect(svc.predictOverload('a1', 30).predictedLoad).to.be.closeTo(0.6, 1e-9);
    // rising, so the decision margin applies: at 30 s it is capped at 0.2 → counts from 0.65
    expect(svc.predictOverload('a1', 30).willOverload).to.equal(false);
    expect(svc.predictOverload('a1', 40).predictedLoad).to.be.closeTo(0.7, 1e-9);
    expect(svc.predictOverload('a1', 40).willOverload).to.equal(true);
  });

  it('does not predict overload for a flat load', () => {
    const { clock, svc, load } = setup();
    for (let i = 0; i < 10; i++) {
      load(0.6);
      clock.advance(1_000);
    }
    expect(svc.predictOverload('a1')).to.deep.equal({
      willOverload: false,
      predictedLoad: 0.6,
      confidence: 1,
      samples: 10,
      horizonSeconds: 5,
      basis: 'signals',
    });
  });

  it('weighs samples by their real timestamps when spacing is irregular', () => {
    const { clock, svc, load } = setup();
    load(0.2);
    clock.advance(1_000);
    load(0.21);
    clock.advance(1_000);
    load(0.22);
    clock.advance(28_000);
    load(0.5);
    // a per-index fit would give ≈0.60 for the next index; the time fit gives 0.55 at +5 s
    const p = svc.predictOverload('a1');
    expect(p.predictedLoad).to.be.closeTo(0.55, 1e-9);
    expect(p.samples).to.equal(4);
  });

  it('ignores expired samples and handles none or one live sample', () => {
    const { clock, svc, load } = setup();
    load(0.95, 1);
    expect(svc.predictOverload('a1')).to.include({ willOverload: true, predictedLoad: 0.95, samples: 1 });
    expect(svc.predictOverload('a1').confidence).to.be.within(0.01, 0.2);
    clock.advance(1_000);
    expect(svc.predictOverload('a1')).to.deep.equal(NO_INFORMATION);
    svc.record({ agentId: 'a2', signalType: 'quality', value: 1 });
    expect(svc.predictOverload('a2').samples).to.equal(0);
  });

  it('counts predictions and predicted overloads, but not those inside state()', () => {
    const { clock, svc, load } = setup();
    for (const v of [0.7, 0.8, 0.9]) {
      load(v);
      clock.advance(1_000);
    }
    svc.predictOverload('a1');
    svc.predictOverload('a1', 0.001);
    svc.record({ agentId: 'a2', signalType: 'load', value: 0.1 });
    svc.predictOverload('a2');
    expect(svc.state('a1').overload.willOverload).to.equal(true);
    expect(svc.stats().predictions).to.deep.equal({ total: 3, overloadPredicted: 2 });
  });

  describe('with the pool’s own forecast (LoadForecasts)', () => {
    const held = new Map<string, { predictedLoad: number; confidence: number }>();
    const source = {
      forecastLoad: (agentId: string, horizonSeconds: number) => {
        const f = held.get(agentId);
        return f && { ...f, predictedLoad: Math.min(1, f.predictedLoad + horizonSeconds / 100) };
      },
      utilization: (agentId: string) => held.get(agentId)?.predictedLoad,
    };

    it('answers from the pool for an agent it holds (basis pool), from the reports for others, and from the reports when asked', () => {
      const { svc, load } = setup();
      const forecasts = new LoadForecasts(svc, source);
      held.set('a1', { predictedLoad: 0.8, confidence: 0.7 });
      held.set('quiet', { predictedLoad: 0.2, confidence: 1 });
      load(0.1);
      expect(forecasts.predictOverload('a1', 10)).to.deep.equal({
        willOverload: true,
        predictedLoad: 0.9,
        confidence: 0.7,
        samples: 1,
        horizonSeconds: 10,
        basis: 'pool',
      });
      expect(forecasts.predictOverload('a1', 10, 'signals')).to.deep.include({ willOverload: false, predictedLoad: 0.1, basis: 'signals' });
      expect(forecasts.predictOverload('quiet'), 'held but never reported: no UNKNOWN_AGENT').to.deep.include({
        basis: 'pool',
        samples: 0,
        willOverload: false,
      });
      expect(() => forecasts.predictOverload('quiet', 5, 'signals'))
        .to.throw()
        .with.property('errorName', 'UNKNOWN_AGENT');
      expect(() => forecasts.predictOverload('nobody'))
        .to.throw()
        .with.property('errorName', 'UNKNOWN_AGENT');
      expect(forecasts.state('a1').overload).to.deep.include({ basis: 'pool' });
      expect(forecasts.state('a1').overload.predictedLoad).to.be.closeTo(0.85, 1e-9);
      expect(svc.stats().predictions).to.deep.equal({ total: 3, overloadPredicted: 1 });
      expect(() => OverloadPrediction.parse(forecasts.predictOverload('a1'))).not.to.throw();
    });

    it('keeps the router’s forecastLoad on the reports', () => {
      const { svc, load } = setup();
      const forecasts = new LoadForecasts(svc, source);
      held.set('a1', { predictedLoad: 1, confidence: 1 });
      load(0.3);
      expect(svc.forecastLoad('a1', 5)).to.deep.include({ predictedLoad: 0.3, basis: 'signals' });
    });
    it('answers from the reports once they show the pool sees only part of the agents’ work (other daemons share them)', () => {
      const { svc } = setup();
      const forecasts = new LoadForecasts(svc, source);
      // 30 agents each report 0.9 while this daemon's pool holds 0.3 of each: a share of 3.
      for (let i = 0; i < 30; i++) {
        held.set(`shared-${i}`, { predictedLoad: 0.3, confidence: 1 });
        svc.record({ agentId: `shared-${i}`, signalType: 'load', value: 0.9 });
      }
      const first = forecasts.predictOverload('shared-0');
      expect(first.basis, 'too few reports compared yet to believe the share').to.equal('pool');
      for (let i = 1; i < 30; i++) forecasts.predictOverload(`shared-${i}`);
      expect(forecasts.poolCoverage.share).to.be.closeTo(3, 1e-9);
      expect(forecasts.predictOverload('shared-0')).to.deep.include({ basis: 'signals', willOverload: true });
    });
  });
});
