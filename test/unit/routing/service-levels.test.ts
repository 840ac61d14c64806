import { expect } from 'chai';
import { seededRandom, type Random } from '../../../src/random.js';
import { ServiceLevels } from '../../../src/routing/service-levels.js';

/** A lognormal latency with median `medianMs` and log-sd 1 (the simulation's task sizes). */
function lognormal(r: Random, medianMs: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  return medianMs * Math.exp(z);
}

function fleet(medians: readonly number[], samples: number, seed: number): ServiceLevels {
  const levels = new ServiceLevels();
  const r = seededRandom(seed);
  for (let n = 0; n < samples; n++) medians.forEach((m, i) => levels.record(`a${i}`, lognormal(r, m)));
  return levels;
}

describe('ServiceLevels', () => {
  it("keeps each agent's own typical latency, unshrunk (a log-domain EWMA)", () => {
    const levels = new ServiceLevels();
    expect(levels.latencyMs('a')).to.equal(undefined);
    levels.record('a', 100);
    levels.record('a', 400);
    expect(levels.latencyMs('a')).to.be.closeTo(200, 1e-9); // weight 1/2: the geometric mean
  });

  it('cannot call a fleet indistinguishable before two agents are measured', () => {
    const levels = new ServiceLevels();
    expect(levels.indistinguishable()).to.equal(false);
    levels.record('a', 100);
    expect(levels.indistinguishable()).to.equal(false);
    levels.record('b', 100);
    expect(levels.indistinguishable()).to.equal(true);
  });

  it('finds agents of one speed indistinguishable however noisy their samples', () => {
    let indistinguishable = 0;
    for (let seed = 1; seed <= 20; seed++) if (fleet(Array(16).fill(1000), 40, seed).indistinguishable()) indistinguishable++;
    expect(indistinguishable).to.be.at.least(19); // a 99.9% test: about one seed in a thousand says otherwise
  });

  it('finds agents of one speed indistinguishable through busy spells that stretch their tasks', () => {
    // What latencies over every load look like: for stretches of ten tasks, half the agents (at
    // random) are busy and their tasks take 1.5× as long. Such spells move an agent's level for a
    // while, beyond the sampling noise the test models; a 99% test called this fleet
    // distinguishable in 11 of these 200 seeds, the 99.9% test in none.
    let indistinguishable = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const levels = new ServiceLevels();
      const r = seededRandom(seed);
      const stretch: number[] = Array(16).fill(1);
      for (let n = 0; n < 60; n++) {
        if (n % 10 === 0) for (let i = 0; i < 16; i++) stretch[i] = r.next() < 0.5 ? 1.5 : 1;
        for (let i = 0; i < 16; i++) levels.record(`a${i}`, lognormal(r, 1000) * stretch[i]!);
      }
      if (levels.indistinguishable()) indistinguishable++;
    }
    expect(indistinguishable).to.be.at.least(194);
  });

  it('tells a slow tier from a fast one (3× apart, log-sd 1) within twenty tasks each', () => {
    const tiers = [...Array(8).fill(1000), ...Array(8).fill(3000)];
    for (let seed = 1; seed <= 10; seed++) expect(fleet(tiers, 20, seed).indistinguishable(), `seed ${seed}`).to.equal(false);
  });

  it('forgets an agent out of the fleet test as well', () => {
    const levels = fleet([1000, 1000, 1000, 20_000], 30, 5);
    expect(levels.indistinguishable()).to.equal(false);
    levels.forget('a3');
    expect(levels.latencyMs('a3')).to.equal(undefined);
    expect(levels.indistinguishable()).to.equal(true);
  });

  it('drops the least recently updated agent beyond maxAgents', () => {
    const levels = new ServiceLevels(2);
    levels.record('a', 100);
    levels.record('b', 100);
    levels.record('a', 100);
    levels.record('c', 100);
    expect(levels.latencyMs('b')).to.equal(undefined);
    expect(levels.latencyMs('a')).to.be.closeTo(100, 1e-9);
    expect(levels.indistinguishable()).to.equal(true);
  });
});
