import { expect } from 'chai';
import { DEFAULT_SCALING_POLICY, resolvePolicy, ScalingPolicyError } from '../../../../src/pool/scaling/scaling-policy.js';
import { buildOpenRpc } from '../../../../src/rpc/openrpc.js';
import { poolScalingPolicySet, poolScalingStart, SCALING_METHODS, ScalingPolicy, ScalingPolicyPatch } from '../../../../src/schemas/scaling.js';

function issuesOf(patch: Record<string, unknown>): ScalingPolicyError {
  try {
    resolvePolicy(DEFAULT_SCALING_POLICY, patch);
  } catch (err) {
    if (err instanceof ScalingPolicyError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(patch)}`);
}

describe('scaling policy', () => {
  it('defaults are a valid policy', () => {
    expect(ScalingPolicy.parse(DEFAULT_SCALING_POLICY)).to.deep.equal(DEFAULT_SCALING_POLICY);
  });

  it('resolvePolicy merges over the base and ignores undefined fields', () => {
    expect(resolvePolicy(DEFAULT_SCALING_POLICY, { maxAgents: 3, minAgents: undefined })).to.deep.equal({ ...DEFAULT_SCALING_POLICY, maxAgents: 3 });
  });

  it('rejects every broken rule with the offending paths', () => {
    expect(issuesOf({ minAgents: 5, maxAgents: 4 }).paths).to.deep.equal(['minAgents']);
    expect(issuesOf({ targetUtilization: 0 }).paths).to.deep.equal(['targetUtilization']);
    expect(issuesOf({ targetUtilization: 1.01 }).paths).to.deep.equal(['targetUtilization']);
    expect(issuesOf({ maxAgents: 0, minAgents: -1, scaleUpCooldownS: -1, queueDepthPerAgent: 0.5, template: '' }).paths).to.have.members([
      'maxAgents',
      'minAgents',
      'scaleUpCooldownS',
      'queueDepthPerAgent',
      'template',
    ]);
    expect(issuesOf({ bogus: 1 }).issues).to.deep.equal([{ path: 'bogus', message: 'unknown field' }]);
    expect(issuesOf({ minAgents: 20 })).to.be.instanceOf(RangeError); // above the default maxAgents 16
  });

  it('accepts a target of exactly 1 and zero-length windows', () => {
    const edge = { targetUtilization: 1, scaleUpCooldownS: 0, scaleDownStabilizationS: 0 };
    expect(resolvePolicy(DEFAULT_SCALING_POLICY, edge)).to.include(edge);
  });

  it('the patch schema takes any subset, checks min ≤ max when both are given, and refuses unknown fields', () => {
    expect(ScalingPolicyPatch.parse({})).to.deep.equal({});
    expect(ScalingPolicyPatch.parse({ minAgents: 30 })).to.deep.equal({ minAgents: 30 });
    expect(ScalingPolicyPatch.safeParse({ minAgents: 3, maxAgents: 2 }).success).to.equal(false);
    expect(ScalingPolicyPatch.safeParse({ nope: true }).success).to.equal(false);
  });

  it('defines the pool.scaling methods for operators and admins, and they render to OpenRPC', () => {
    expect(SCALING_METHODS.map((m) => m.name)).to.deep.equal([
      'pool.scaling.policy.get',
      'pool.scaling.policy.set',
      'pool.scaling.recommendation',
      'pool.scaling.execute',
      'pool.scaling.start',
      'pool.scaling.stop',
      'pool.scaling.history',
    ]);
    for (const m of SCALING_METHODS) expect(m.roles).to.deep.equal(['operator', 'admin']);
    expect(poolScalingPolicySet.params).to.equal(ScalingPolicyPatch);
    expect(poolScalingStart.params.safeParse({ intervalSeconds: 0 }).success).to.equal(false);
    const doc = buildOpenRpc(SCALING_METHODS, { title: 't', version: '0' }) as { methods: { params: { name: string }[] }[] };
    expect(doc.methods[1]!.params.map((p) => p.name)).to.include.members(['minAgents', 'maxAgents', 'targetUtilization', 'template']);
  });
});
