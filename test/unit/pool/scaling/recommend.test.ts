import { expect } from 'chai';
import { recommend } from '../../../../src/pool/scaling/recommend.js';
import { DEFAULT_SCALING_POLICY, type ScalingPolicy } from '../../../../src/pool/scaling/scaling-policy.js';
import type { ScalingSnapshot } from '../../../../src/pool/scaling/scaling-target.js';

const policy = (p: Partial<ScalingPolicy> = {}): ScalingPolicy => ({ ...DEFAULT_SCALING_POLICY, ...p });

/** `current` agents of one slot each, `utilization` of them in use. */
const pool = (current: number, utilization: number, queueDepth = 0): ScalingSnapshot => ({
  current,
  usedCapacity: current * utilization,
  totalCapacity: current,
  queueDepth,
});

describe('recommend (HPA rule)', () => {
  it('scales by ceil(current × utilization / target): 4 agents at 0.9 for a 0.5 target → 8', () => {
    const r = recommend(pool(4, 0.9), policy({ targetUtilization: 0.5 }));
    expect(r).to.include({ current: 4, desired: 8, proposed: 8, rule: 'utilization', queueDepth: 0 });
    expect(r.utilization).to.be.closeTo(0.9, 1e-12);
    expect(r.reason).to.equal('utilization 0.90 above target 0.50: 4 → 8');
  });

  it('doubles at twice the target and halves at half of it (the Kubernetes docs examples)', () => {
    expect(recommend(pool(3, 1.0), policy({ targetUtilization: 0.5 })).desired).to.equal(6);
    expect(recommend(pool(4, 0.25), policy({ targetUtilization: 0.5 })).desired).to.equal(2);
  });

  it('computes utilization from used and total capacity, not from the agent count', () => {
    const r = recommend({ current: 2, usedCapacity: 6, totalCapacity: 8, queueDepth: 0 }, policy({ targetUtilization: 0.25 }));
    expect(r.utilization).to.equal(0.75);
    expect(r.desired).to.equal(6);
  });

  it('does not let float error add an agent (3 × 0.4 / 0.2 is 6, not 7)', () => {
    expect(recommend(pool(3, 0.4), policy({ targetUtilization: 0.2 })).desired).to.equal(6);
    expect(recommend(pool(3, 0.2), policy({ targetUtilization: 0.6 })).desired).to.equal(1);
  });

  it('keeps the current count within the 10% tolerance, and leaves it just outside', () => {
    for (const u of [0.63, 0.7, 0.77, 0.75]) {
      const r = recommend(pool(10, u), policy());
      expect(r, `utilization ${u}`).to.include({ desired: 10, rule: 'tolerance' });
    }
    expect(recommend(pool(10, 0.78), policy()).desired).to.equal(12);
    expect(recommend(pool(10, 0.62), policy()).desired).to.equal(9);
  });

  it('clamps to [minAgents, maxAgents] and says so', () => {
    const high = recommend(pool(4, 1), policy({ targetUtilization: 0.1, maxAgents: 10 }));
    expect(high).to.include({ desired: 10, proposed: 10, rule: 'max_agents' });
    expect(high.reason).to.match(/4 → 40; capped at maxAgents 10$/);
    const low = recommend(pool(4, 0), policy({ minAgents: 2 }));
    expect(low).to.include({ desired: 2, rule: 'min_agents' });
    expect(low.reason).to.match(/raised to minAgents 2$/);
  });

  it('scales an idle pool down to minAgents (0 by default)', () => {
    expect(recommend(pool(4, 0), policy())).to.include({ desired: 0, rule: 'utilization' });
  });

  it('adds one agent per queueDepthPerAgent queued tasks on top of the current count', () => {
    const r = recommend(pool(4, 0.7, 3), policy());
    expect(r).to.include({ desired: 7, rule: 'queue', queueDepth: 3 });
    expect(r.reason).to.equal('3 queued tasks at 1 per agent: 4 → 7');
    expect(recommend(pool(4, 0.7, 5), policy({ queueDepthPerAgent: 2 })).desired).to.equal(7);
  });

  it('lets utilization win when it asks for more than the queue does', () => {
    expect(recommend(pool(4, 1, 1), policy({ targetUtilization: 0.25 }))).to.include({ desired: 16, rule: 'utilization' });
  });

  it('bounds queue pressure by maxAgents', () => {
    expect(recommend(pool(4, 0.7, 100), policy({ maxAgents: 6 }))).to.include({ desired: 6, rule: 'max_agents' });
  });

  it('scales from zero when work is queued, and to minAgents when that is more', () => {
    const empty = (queueDepth: number): ScalingSnapshot => ({ current: 0, usedCapacity: 0, totalCapacity: 0, queueDepth });
    const one = recommend(empty(1), policy());
    expect(one).to.include({ current: 0, desired: 1, rule: 'scale_from_zero', utilization: 0 });
    expect(one.reason).to.equal('no agents and 1 queued task: start 1');
    expect(recommend(empty(5), policy({ queueDepthPerAgent: 2 })).desired).to.equal(3);
    expect(recommend(empty(1), policy({ minAgents: 3 }))).to.include({ desired: 3, rule: 'min_agents' });
    expect(recommend(empty(0), policy())).to.include({ desired: 0, rule: 'idle' });
  });

  it('keeps agents that report no capacity rather than scaling down on missing data', () => {
    expect(recommend({ current: 3, usedCapacity: 0, totalCapacity: 0, queueDepth: 0 }, policy())).to.include({ desired: 3, rule: 'no_capacity' });
  });

  describe('scale-down stabilization', () => {
    it('goes no lower than the highest recent recommendation', () => {
      const r = recommend(pool(4, 0.35), policy(), [4, 3]);
      expect(r).to.include({ desired: 4, proposed: 2, rule: 'stabilization' });
      expect(r.reason).to.match(/: 4 → 2; held at 4 by the highest recommendation of the last 300 s \(4\)$/);
    });

    it('allows a partial scale-down to the recent maximum', () => {
      expect(recommend(pool(4, 0.35), policy(), [3])).to.include({ desired: 3, proposed: 2, rule: 'stabilization' });
    });

    it('scales down fully when every recent recommendation was as low', () => {
      expect(recommend(pool(4, 0.35), policy(), [2, 1])).to.include({ desired: 2, rule: 'utilization' });
    });

    it('never holds above the current count or maxAgents, and never delays a scale-up', () => {
      expect(recommend(pool(4, 0.35), policy(), [9]).desired).to.equal(4);
      expect(recommend(pool(8, 0.7), policy({ maxAgents: 5 }), [8]).desired).to.equal(5);
      expect(recommend(pool(4, 0.9), policy({ targetUtilization: 0.5 }), [2]).desired).to.equal(8);
    });
  });
});
