import { expect } from 'chai';
import { startDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

describe('pool.scaling over real spawned workers', function () {
  this.timeout(30_000);

  it('recommends and executes a scale-up from zero for queued work, records history, validates the policy', async () => {
    const daemon = await startDaemon();
    const op = await TestClient.connect(daemon.url);
    try {
      const policy = await op.request('pool.scaling.policy.set', {
        minAgents: 0,
        maxAgents: 3,
        targetUtilization: 0.7,
        template: 'echo',
        queueDepthPerAgent: 1,
      });
      expect(policy).to.deep.include({ minAgents: 0, maxAgents: 3, template: 'echo' });
      expect((await op.call('pool.scaling.policy.set', { minAgents: 5, maxAgents: 2 })).error.code).to.equal(-32602);
      expect((await op.call('pool.scaling.policy.set', { template: 'nope' })).error.code).to.equal(-32027);
      expect((await op.request('pool.scaling.policy.get', {})).maxAgents, 'refused changes left the policy alone').to.equal(3);

      const tasks = [];
      for (let i = 0; i < 2; i++) tasks.push(await op.request('pool.assign', { type: 'echo', payload: { i } }));
      const rec = await op.request('pool.scaling.recommendation', {});
      expect(rec).to.deep.include({ current: 0, queueDepth: 2 });
      expect(rec.desired).to.equal(2);
      expect(rec.reason).to.be.a('string').and.not.empty;

      const exec = await op.request('pool.scaling.execute', {});
      expect(exec).to.deep.include({ action: 'scale_up', changed: 2 });
      const done = await Promise.all(tasks.map((t) => op.request('task.wait', { taskId: t.taskId, timeoutMs: 10_000 })));
      expect(done.map((t) => t.state)).to.deep.equal(['COMPLETED', 'COMPLETED']);
      const history = await op.request('pool.scaling.history', {});
      expect(history.events[0]).to.deep.include({ action: 'scale_up', from: 0, to: 2 });
      expect(await op.request('pool.scaling.start', { intervalSeconds: 60 })).to.deep.include({ running: true });
      expect(await op.request('pool.scaling.stop', {})).to.deep.include({ running: false });
    } finally {
      await op.close();
      expect(await daemon.stop()).to.equal(0);
    }
  });
});
