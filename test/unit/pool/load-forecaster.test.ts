import { expect } from 'chai';
import { LoadForecaster, projectInSystem, type FleetLoad } from '../../../src/pool/load-forecaster.js';

/** Feed `seconds` of a steady pool: `arrivals` and `completions` per second, with the given queue. */
function run(o: LoadForecaster, from: number, seconds: number, rates: { arrivals: number; completions: number }, fleet: FleetLoad): number {
  const end = from + seconds * 1000;
  const step = (per: number): number => (per > 0 ? 1000 / per : Infinity);
  let nextA = from + step(rates.arrivals);
  let nextC = from + step(rates.completions);
  while (Math.min(nextA, nextC) <= end) {
    if (nextA <= nextC) {
      o.arrived(nextA, fleet.queued);
      nextA += step(rates.arrivals);
    } else {
      o.finished(nextC, fleet.queued, () => fleet.capacity);
      nextC += step(rates.completions);
    }
  }
  return end;
}

describe('projectInSystem (fluid model of the pool)', () => {
  it('grows a backlog linearly while arrivals outrun the fleet', () => {
    expect(projectInSystem(30, 20, 15, 10, 4)).to.be.closeTo(50, 1e-9);
  });

  it('drains a backlog, then relaxes below capacity towards λ·C/μ', () => {
    // 10 queued over 20 slots, drains at 5/s: gone after 2 s; then relaxes towards 5·20/10 = 10.
    const atDrain = projectInSystem(30, 20, 5, 10, 2);
    expect(atDrain).to.be.closeTo(20, 1e-9);
    const later = projectInSystem(30, 20, 5, 10, 2 + 2);
    expect(later).to.be.closeTo(10 + 10 * Math.exp(-(10 / 20) * 2), 1e-9);
    expect(projectInSystem(30, 20, 5, 10, 1000)).to.be.closeTo(10, 1e-6);
  });

  it('below capacity, crosses C when arrivals exceed the fleet’s throughput, at the time solved exactly', () => {
    // target λC/μ = 15·20/10 = 30 > C = 20; from 10: reaches 20 at s = ln((30−10)/(30−20)) / 0.5 = 2 ln 2.
    const cross = 2 * Math.log(2);
    expect(projectInSystem(10, 20, 15, 10, cross - 0.01)).to.be.below(20);
    expect(projectInSystem(10, 20, 15, 10, cross + 1)).to.be.closeTo(20 + 5 * 1, 1e-9);
    expect(projectInSystem(10, 20, 5, 10, 50), 'arrivals the fleet can serve never fill it').to.be.below(20);
  });
});

describe('LoadForecaster', () => {
  const agent = (inFlight: number, capacity = 2, eligible = true) => ({ inFlight, capacity, eligible });

  it('knows nothing before an attempt has finished', () => {
    const o = new LoadForecaster();
    o.arrived(0, 0);
    expect(o.forecast(100, { capacity: 10, busy: 1, queued: 0 }, agent(1), 5)).to.equal(undefined);
  });

  it('predicts every eligible agent full while a backlog outlasts the horizon, and not once it will have drained', () => {
    const o = new LoadForecaster();
    const saturated: FleetLoad = { capacity: 20, busy: 20, queued: 40 };
    // Saturated for 40 s (4 τ of the throughput estimate): 10 completions/s (0.5 per slot), 12 arrivals/s.
    let now = run(o, 0, 40, { arrivals: 12, completions: 10 }, saturated);
    expect(o.throughputAtCapacity(now, saturated)).to.be.closeTo(10, 0.5);
    const held = o.forecast(now, saturated, agent(2), 5)!;
    expect(held).to.deep.include({ saturated: true, predictedLoad: 1, confidence: 1 });
    // Arrivals drop to 4/s: 40 queued drain at ~6/s in ~7 s.
    now = run(o, now, 6, { arrivals: 4, completions: 10 }, saturated);
    const fleet: FleetLoad = { capacity: 20, busy: 20, queued: 6 };
    expect(o.forecast(now, fleet, agent(2), 1)!.saturated, 'still backlogged 1 s ahead').to.equal(true);
    const after = o.forecast(now, fleet, agent(2), 10)!;
    expect(after.saturated, 'drained 10 s ahead').to.equal(false);
    expect(after.predictedLoad).to.be.below(0.85);
  });

  it('below capacity, relaxes an agent’s load towards the fleet’s and lets a draining agent only empty', () => {
    const o = new LoadForecaster();
    const fleet: FleetLoad = { capacity: 20, busy: 8, queued: 0 };
    const now = run(o, 0, 20, { arrivals: 4, completions: 4 }, fleet);
    const soon = o.forecast(now, fleet, agent(2), 0.01)!;
    const later = o.forecast(now, fleet, agent(2), 60)!;
    expect(soon.predictedLoad, 'the next instant: as now').to.be.above(0.95);
    expect(later.predictedLoad, 'far ahead: the fleet’s level').to.be.below(0.5);
    expect(later.saturated).to.equal(false);
    const draining = o.forecast(now, fleet, agent(2, 2, false), 60)!;
    expect(draining.predictedLoad).to.be.below(0.01);
  });

  it('predicts an onset before any slot is full when arrivals outrun what the fleet did at capacity', () => {
    const o = new LoadForecaster();
    // Learn the fleet's throughput at capacity: 10/s over 20 slots.
    let now = run(o, 0, 10, { arrivals: 10, completions: 10 }, { capacity: 20, busy: 20, queued: 5 });
    // Quiet, then 16 arrivals/s with the fleet half busy.
    now = run(o, now, 5, { arrivals: 16, completions: 5 }, { capacity: 20, busy: 10, queued: 0 });
    const fleet: FleetLoad = { capacity: 20, busy: 10, queued: 0 };
    expect(o.forecast(now, fleet, agent(1), 10)!.saturated).to.equal(true);
    expect(o.forecast(now, fleet, agent(1), 0.1)!.saturated).to.equal(false);
  });

  it('scales the learned throughput with the fleet’s slots', () => {
    const o = new LoadForecaster();
    const now = run(o, 0, 20, { arrivals: 10, completions: 10 }, { capacity: 20, busy: 20, queued: 3 });
    const small = o.throughputAtCapacity(now, { capacity: 20, busy: 20, queued: 0 })!;
    const large = o.throughputAtCapacity(now, { capacity: 40, busy: 20, queued: 0 })!;
    expect(large / small).to.be.closeTo(2, 1e-9);
  });
});

describe('LoadForecaster: cost while saturated', () => {
  it('reads the slot count at most once per capacityRefreshMs', () => {
    const o = new LoadForecaster({ capacityRefreshMs: 1000 });
    let reads = 0;
    const capacity = (): number => {
      reads++;
      return 20;
    };
    for (let t = 0; t < 5000; t += 10) o.finished(t, 3, capacity);
    expect(reads).to.equal(5);
    o.finished(5000, 0, capacity);
    expect(reads, 'not read when nothing is queued').to.equal(5);
  });
});
