import { expect } from 'chai';
import { AutoScaler } from '../../../../src/pool/scaling/auto-scaler.js';
import { MemoryScalingStore } from '../../../../src/pool/scaling/memory-scaling-store.js';
import { DEFAULT_SCALING_POLICY } from '../../../../src/pool/scaling/scaling-policy.js';
import { VirtualClock } from '../../../../src/time/virtual-clock.js';
import { FakePool } from './fake-pool.js';

/** An AutoScaler keeps its policy and whether it runs in a ScalingStore, so a restarted daemon resumes both. */
describe('AutoScaler with a ScalingStore', () => {
  const make = (store: MemoryScalingStore, clock = new VirtualClock()) => new AutoScaler({ clock, target: new FakePool(0), store });

  it('saves every policy it accepts, and a new scaler on the same store starts from it', () => {
    const store = new MemoryScalingStore();
    make(store).setPolicy({ maxAgents: 5, template: 'gpu' });
    expect(store.policy()).to.deep.equal({ ...DEFAULT_SCALING_POLICY, maxAgents: 5, template: 'gpu' });
    expect(make(store).policy()).to.deep.equal({ ...DEFAULT_SCALING_POLICY, maxAgents: 5, template: 'gpu' });
  });

  it('saves nothing for a refused policy', () => {
    const store = new MemoryScalingStore();
    expect(() => make(store).setPolicy({ minAgents: 9, maxAgents: 2 })).to.throw(RangeError);
    expect(store.policy()).to.equal(undefined);
  });

  it('falls back to the defaults when the saved policy no longer validates', () => {
    const store = new MemoryScalingStore();
    store.savePolicy({ ...DEFAULT_SCALING_POLICY, minAgents: 9, maxAgents: 2 });
    expect(make(store).policy()).to.deep.equal(DEFAULT_SCALING_POLICY);
  });

  it('start and stop are saved; a shutdown keeps it saved as running, and resume() starts it again', () => {
    const store = new MemoryScalingStore();
    const clock = new VirtualClock();
    const first = make(store, clock);
    expect(first.resume()).to.deep.equal({ running: false, intervalSeconds: 15 });
    first.start(3);
    expect(store.autoScaling()).to.equal(3);
    first.shutdown();
    expect(first.running).to.equal(false);
    expect(store.autoScaling()).to.equal(3);
    const second = make(store, clock);
    expect(second.resume()).to.deep.equal({ running: true, intervalSeconds: 3 });
    second.stop();
    expect(store.autoScaling()).to.equal(undefined);
    expect(make(store, clock).resume()).to.deep.include({ running: false });
  });
});
