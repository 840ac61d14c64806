import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SCALING_POLICY } from '../../../src/pool/scaling/scaling-policy.js';
import { openStores, type DurableStores } from '../../../src/stores/open-stores.js';
import { loadRecovery } from '../../../src/stores/recovery.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { makeTask } from '../pool/task-store-conformance.js';
import { makeLease } from '../resources/lease-store-conformance.js';

describe('openStores and loadRecovery', () => {
  let dir: string;
  const clock = new VirtualClock(1_000);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordd-recovery-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Write a day's state into `stores`: queued tasks of mixed priority, a running one, leases, policy, spawns. */
  function fill(stores: DurableStores) {
    const low1 = makeTask({ priority: 0 });
    const high = makeTask({ priority: 5 });
    const low2 = makeTask({ priority: 0 });
    const running = makeTask({ state: 'IN_PROGRESS', agentId: 'agent-9', epoch: 3 });
    const done = makeTask({ state: 'COMPLETED', idempotencyKey: 'paid-once', result: 42 });
    for (const t of [low1, high, running, low2, done]) stores.tasks.insert(t);
    stores.leases.saveLease(makeLease({ leaseId: 'held', fencingToken: 70, expiresAt: 50_000 }));
    stores.leases.saveLease(makeLease({ leaseId: 'lapsed', fencingToken: 80, expiresAt: 2_000 }));
    stores.conversations.save({ conversationId: 'c', createdAt: 1, updatedAt: 2, messages: [], dropped: 0, agents: [] });
    stores.scaling.savePolicy({ ...DEFAULT_SCALING_POLICY, maxAgents: 3 });
    stores.scaling.setSpawnCount('echo', 2);
    return { low1, high, low2, running };
  }

  it('recovers the queue in dispatch order, running attempts with agent and epoch, live leases and counters from a reopened file', () => {
    const path = join(dir, 'data', 'coordd.db');
    const first = openStores({ kind: 'sqlite', path }, { clock }, { fsync: 'full' });
    expect(first.description).to.equal(`sqlite:${path}`);
    const { low1, high, low2, running } = fill(first);
    first.commit();
    first.close();

    const again = openStores({ kind: 'sqlite', path }, { clock });
    const state = loadRecovery(again, 10_000);
    expect(state.tasks.pending.map((t) => t.taskId)).to.deep.equal([high.taskId, low1.taskId, low2.taskId]);
    expect(state.tasks.inProgress).to.deep.equal([running]);
    expect(state.tasks.maxEpoch).to.equal(3);
    expect(state.leases.map((l) => l.leaseId)).to.deep.equal(['held']);
    expect(state.fencingHighWater).to.equal(80);
    expect(state.conversations.map((c) => c.conversationId)).to.deep.equal(['c']);
    expect(state.policy?.maxAgents).to.equal(3);
    expect(state.spawnCounts).to.deep.equal({ echo: 2 });
    expect(again.tasks.findByIdempotencyKey('paid-once')?.result).to.equal(42);
    again.close();
  });

  it('offers the same shape in memory, where commit and close do nothing', () => {
    const stores = openStores({ kind: 'memory' }, { clock });
    expect(stores.description).to.equal('memory');
    fill(stores);
    stores.commit();
    const state = loadRecovery(stores, 10_000);
    expect(state.tasks.pending).to.have.length(3);
    expect(state.fencingHighWater).to.equal(80);
    stores.close();
  });
});
