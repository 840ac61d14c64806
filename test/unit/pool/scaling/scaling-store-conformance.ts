import { expect } from 'chai';
import { DEFAULT_SCALING_POLICY } from '../../../../src/pool/scaling/scaling-policy.js';
import type { ScalingStore } from '../../../../src/pool/scaling/scaling-store.js';

/** The behaviour every ScalingStore must show; `make` builds an empty store. */
export function scalingStoreConformance(name: string, make: () => ScalingStore): void {
  describe(`ScalingStore conformance: ${name}`, () => {
    let store: ScalingStore;
    beforeEach(() => {
      store = make();
    });

    it('has no policy until one is saved, then the last one saved', () => {
      expect(store.policy()).to.equal(undefined);
      store.savePolicy({ ...DEFAULT_SCALING_POLICY, maxAgents: 4 });
      store.savePolicy({ ...DEFAULT_SCALING_POLICY, maxAgents: 9, template: 'gpu' });
      expect(store.policy()).to.deep.equal({ ...DEFAULT_SCALING_POLICY, maxAgents: 9, template: 'gpu' });
    });

    it('keeps spawn counts per template, forgetting a template set to 0', () => {
      expect(store.spawnCounts()).to.deep.equal({});
      store.setSpawnCount('echo', 3);
      store.setSpawnCount('gpu', 1);
      store.setSpawnCount('echo', 5);
      store.setSpawnCount('gpu', 0);
      store.setSpawnCount('never', 0);
      expect(store.spawnCounts()).to.deep.equal({ echo: 5 });
    });

    it('refuses a count that is not a non-negative integer', () => {
      for (const bad of [-1, 1.5, Number.NaN]) expect(() => store.setSpawnCount('echo', bad)).to.throw(RangeError);
      expect(store.spawnCounts()).to.deep.equal({});
    });

    it('remembers whether auto-scaling runs and at which interval', () => {
      expect(store.autoScaling()).to.equal(undefined);
      store.saveAutoScaling(15);
      store.saveAutoScaling(2.5);
      expect(store.autoScaling()).to.equal(2.5);
      store.saveAutoScaling(undefined);
      expect(store.autoScaling()).to.equal(undefined);
    });
  });
}
