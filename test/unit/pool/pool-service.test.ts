import { expect } from 'chai';
import { AppError } from '../../../src/errors.js';
import { FakeAgent, poolHarness } from '../../support/pool-harness.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.errorName : String(err);
  }
  return undefined;
};

describe('PoolService', () => {
  describe('queueing and dispatch', () => {
    it('runs exactly N tasks on N agents, queues k, starts them as capacity opens, completes all N + k', async () => {
      const h = poolHarness();
      const agents = ['a1', 'a2', 'a3'].map((id) => h.addAgent(id));
      const ids = Array.from({ length: 5 }, () => h.pool.assign({ type: 'job' }).task.taskId);
      expect(ids.map((id) => h.pool.get(id).state)).to.deep.equal(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'PENDING', 'PENDING']);
      expect(h.pool.queueStats().depth).to.equal(2);
      for (let round = 0; round < 5; round++) {
        const busy = agents.flatMap((a) => a.calls.filter((c) => h.pool.get(c.params.taskId).state === 'IN_PROGRESS'));
        expect(busy.length).to.be.at.most(3);
        busy[0]!.complete();
        await h.settle();
      }
      expect(ids.map((id) => h.pool.get(id).state)).to.deep.equal(Array(5).fill('COMPLETED'));
      expect(h.pool.queueStats().depth).to.equal(0);
    });

    it('never exceeds an agent’s capacity', async () => {
      const h = poolHarness();
      const a = h.addAgent('a', 2);
      for (let i = 0; i < 5; i++) h.pool.assign({ type: 'job' });
      expect(a.calls).to.have.length(2);
      expect(h.pool.agents.get('a')!.inFlight.size).to.equal(2);
      a.calls[0]!.complete();
      await h.settle();
      expect(a.calls).to.have.length(3);
      expect(h.pool.agents.get('a')!.inFlight.size).to.equal(2);
    });

    it('dispatches higher priority first and FIFO within a priority', async () => {
      const h = poolHarness();
      const order = [0, 5, 0, 5, 10].map((priority, i) => h.pool.assign({ type: `p${priority}-${i}`, priority }).task.taskId);
      const a = h.addAgent('a');
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) {
        const call = a.calls[i]!;
        seen.push(call.params.taskId);
        call.complete();
        await h.settle();
      }
      expect(seen).to.deep.equal([order[4], order[1], order[3], order[0], order[2]]);
    });

    it('uses the preferred agent when it is free, another one when it is not', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const b = h.addAgent('b');
      h.pool.assign({ type: 'x', preferredAgentId: 'b' });
      expect(b.calls).to.have.length(1);
      h.pool.assign({ type: 'y', preferredAgentId: 'b' });
      expect(a.calls).to.have.length(1);
    });

    it('filters by capabilities without letting an unservable task block others', async () => {
      const h = poolHarness();
      const a = h.addAgent('a', 2, ['text']);
      const gpuTask = h.pool.assign({ type: 'render', requiredCapabilities: ['gpu'] }).task.taskId;
      const textTask = h.pool.assign({ type: 'summarize', requiredCapabilities: ['text'] }).task.taskId;
      expect(h.pool.get(gpuTask).state).to.equal('PENDING');
      expect(h.pool.get(textTask).state).to.equal('IN_PROGRESS');
      expect(a.calls.map((c) => c.params.taskId)).to.deep.equal([textTask]);
      const g = h.addAgent('g', 1, ['gpu', 'text']);
      expect(g.calls.map((c) => c.params.taskId)).to.deep.equal([gpuTask]);
    });

    it('keeps affinity sticky, waits a bounded time for a busy sticky agent, then goes elsewhere', async () => {
      const h = poolHarness({ affinityWaitMs: 1000 });
      const a = h.addAgent('a');
      const first = h.pool.assign({ type: 'chat', affinityKey: 'conv-1' }).task.taskId;
      expect(a.calls[0]!.params.taskId).to.equal(first);
      const b = h.addAgent('b');
      const second = h.pool.assign({ type: 'chat', affinityKey: 'conv-1' }).task.taskId;
      expect(h.pool.get(second).state, 'held for the sticky agent').to.equal('PENDING');
      expect(b.calls).to.have.length(0);
      a.calls[0]!.complete();
      await h.settle();
      expect(h.pool.get(second).agentId, 'sticky agent got it once free').to.equal('a');
      const third = h.pool.assign({ type: 'chat', affinityKey: 'conv-1' }).task.taskId;
      expect(h.pool.get(third).state).to.equal('PENDING');
      h.clock.advance(1001);
      expect(h.pool.get(third).agentId, 'soft: falls back after the wait').to.equal('b');
    });
  });

  describe('failures, timeouts and retries', () => {
    it('retries a failed attempt after a backoff and completes; attempts record both', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const id = h.pool.assign({ type: 'flaky', maxAttempts: 3 }).task.taskId;
      a.call(id).fail('transient');
      await h.settle();
      expect(h.pool.get(id).state).to.equal('PENDING');
      expect(a.calls).to.have.length(1);
      h.clock.advance(1000);
      expect(a.calls).to.have.length(2);
      expect(a.calls[1]!.params.attempt).to.equal(2);
      a.call(id).complete({ fine: true });
      await h.settle();
      const t = h.pool.get(id);
      expect(t.state).to.equal('COMPLETED');
      expect(t.result).to.deep.equal({ fine: true });
      expect(t.attempts.map((x) => x.outcome)).to.deep.equal(['failed', 'completed']);
    });

    it('fails for good after maxAttempts, or at once when the error says retryable: false', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const id = h.pool.assign({ type: 'bad', maxAttempts: 2 }).task.taskId;
      a.call(id).fail('one');
      await h.settle();
      h.clock.advance(1000);
      a.call(id).fail('two');
      await h.settle();
      expect(h.pool.get(id).state).to.equal('FAILED');
      expect(h.pool.get(id).error).to.deep.include({ message: 'two' });
      const final = h.pool.assign({ type: 'bad', maxAttempts: 5 }).task.taskId;
      a.call(final).fail('no point', { retryable: false });
      await h.settle();
      expect(h.pool.get(final).state).to.equal('FAILED');
      expect(h.pool.get(final).attempts).to.have.length(1);
    });

    it('times an attempt out, tells the agent to cancel, retries, and ignores the stale late answer', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const id = h.pool.assign({ type: 'slow', timeoutMs: 500, maxAttempts: 2 }).task.taskId;
      const firstCall = a.call(id);
      h.clock.advance(501);
      expect(a.notifications).to.deep.equal([{ method: 'task.cancel', params: { taskId: id, epoch: 1 } }]);
      expect(h.pool.get(id).attempts[0]).to.deep.include({ outcome: 'timeout' });
      h.clock.advance(150); // past the first retry delay (≤ 100 ms), well inside the second attempt's 500 ms
      expect(a.calls).to.have.length(2);
      firstCall.complete('too late');
      await h.settle();
      expect(h.pool.staleEpochReports).to.equal(1);
      expect(h.pool.get(id).state).to.equal('IN_PROGRESS');
      a.call(id).complete('on time');
      await h.settle();
      expect(h.pool.get(id)).to.deep.include({ state: 'COMPLETED', result: 'on time', epoch: 2 });
    });

    it('ignores progress with a stale epoch or from another agent', () => {
      const h = poolHarness();
      h.addAgent('a');
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      expect(h.pool.progress('a', { taskId: id, epoch: 1, progress: 0.5 })).to.equal(true);
      expect(h.pool.get(id).progress).to.equal(0.5);
      expect(h.pool.progress('a', { taskId: id, epoch: 0, progress: 0.9 })).to.equal(false);
      expect(h.pool.progress('b', { taskId: id, epoch: 1, progress: 0.9 })).to.equal(false);
      expect(h.pool.staleEpochReports).to.equal(2);
    });
  });

  describe('lost agents', () => {
    it('requeues a disconnected agent’s task at once; it completes elsewhere with both attempts recorded', async () => {
      const h = poolHarness();
      h.addAgent('a');
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      const b = h.addAgent('b');
      h.pool.disconnected('a', h.sessionOf('a'));
      expect(b.calls.map((c) => c.params.taskId)).to.deep.equal([id]);
      b.call(id).complete();
      await h.settle();
      const t = h.pool.get(id);
      expect(t.state).to.equal('COMPLETED');
      expect(t.attempts.map((x) => [x.agentId, x.outcome])).to.deep.equal([
        ['a', 'disconnected'],
        ['b', 'completed'],
      ]);
    });

    it('marks a silent agent DEGRADED (no new work), recovers it on heartbeat, removes it after the grace period', async () => {
      const h = poolHarness({ heartbeatIntervalMs: 100, leaseTtlMs: 300, removalGraceMs: 500 });
      h.pool.start();
      const a = h.addAgent('a', 2);
      const first = h.pool.assign({ type: 'x' }).task.taskId;
      h.clock.advance(400);
      expect(h.pool.agents.get('a')!.lastState).to.equal('DEGRADED');
      const second = h.pool.assign({ type: 'y' }).task.taskId;
      expect(h.pool.get(second).state).to.equal('PENDING');
      h.pool.heartbeat('a', {});
      expect(h.pool.get(second).state, 'recovered agent takes queued work').to.equal('IN_PROGRESS');
      h.clock.advance(900);
      expect(h.pool.agents.get('a')).to.equal(undefined);
      expect(a.closed).to.match(/heartbeat/);
      expect([first, second].map((id) => h.pool.get(id).state)).to.deep.equal(['PENDING', 'PENDING']);
      const b = h.addAgent('b', 2);
      expect(b.calls).to.have.length(2);
      h.pool.stop();
    });

    it('lets the same agent id take over from a new connection: old one closed, its tasks rerun on the new one', async () => {
      const h = poolHarness();
      const old = h.addAgent('a', 2);
      const t1 = h.pool.assign({ type: 'x' }).task.taskId;
      const t2 = h.pool.assign({ type: 'x' }).task.taskId;
      const fresh = h.addAgent('a', 1);
      expect(old.closed).to.match(/taken over/);
      const agent = h.pool.agents.get('a')!;
      expect(agent.inFlight.size, 'never above the new capacity').to.equal(1);
      expect(fresh.calls.map((c) => c.params.taskId)).to.deep.equal([t1]);
      expect(h.pool.get(t2).state).to.equal('PENDING');
      expect(h.pool.get(t1).attempts.map((x) => x.outcome)).to.deep.equal(['disconnected', 'running']);
      old.call(t1).disconnect();
      await h.settle();
      expect(h.pool.staleEpochReports, 'the old connection’s failure is stale').to.equal(1);
      h.pool.disconnected('a', 's1');
      expect(h.pool.agents.get('a')!.channel, 'a stale disconnect does not remove the new registration').to.equal(fresh);
      fresh.call(t1).complete();
      await h.settle();
      expect(fresh.calls.map((c) => c.params.taskId)).to.deep.equal([t1, t2]);
    });

    it('keeps an agent id with the credential that registered it: another is refused and changes nothing, an override is logged', async () => {
      const h = poolHarness();
      const real = new FakeAgent('a');
      h.pool.register({ agentId: 'a', capacity: 1, capabilities: [], channel: real, sessionId: 's-real', credential: 'token#1' });
      const t = h.pool.assign({ type: 'x' }).task.taskId;
      const impostor = new FakeAgent('a');
      const refused = codeOf(() =>
        h.pool.register({ agentId: 'a', capacity: 5, capabilities: [], channel: impostor, sessionId: 's-other', credential: 'token#2' }),
      );
      expect(refused).to.equal('FORBIDDEN');
      expect(real.closed).to.equal(undefined);
      expect(h.pool.agents.get('a')).to.deep.include({ sessionId: 's-real', capacity: 1, credential: 'token#1' });
      expect(h.pool.get(t).attempts.map((x) => x.outcome)).to.deep.equal(['running']);
      real.call(t).complete({ by: 'real' });
      await h.settle();
      expect(h.pool.get(t)).to.deep.include({ state: 'COMPLETED', result: { by: 'real' } });

      const reconnect = new FakeAgent('a');
      h.pool.register({ agentId: 'a', capacity: 1, capabilities: [], channel: reconnect, sessionId: 's-again', credential: 'token#1' });
      expect(real.closed, 'the same credential takes over').to.match(/taken over/);
      const admin = new FakeAgent('a');
      h.pool.register({ agentId: 'a', capacity: 1, capabilities: [], channel: admin, sessionId: 's-admin', credential: 'root', override: true });
      expect(reconnect.closed).to.match(/taken over/);
      expect(h.pool.agents.get('a')!.credential, 'the id now belongs to the admin').to.equal('root');
      expect(
        codeOf(() => h.pool.register({ agentId: 'a', capacity: 1, capabilities: [], channel: new FakeAgent('a'), sessionId: 's-x', credential: 'token#1' })),
      ).to.equal('FORBIDDEN');
    });

    it('refuses a context window held by another live agent and reports isolation', () => {
      const h = poolHarness();
      h.addAgent('a', 1, [], 'ctx-1');
      expect(codeOf(() => h.addAgent('b', 1, [], 'ctx-1'))).to.equal('CONTEXT_WINDOW_IN_USE');
      h.addAgent('c');
      const report = h.pool.isolationReport();
      expect(report.ok).to.equal(true);
      expect(report.sharedContextWindowIds).to.deep.equal([]);
      expect(new Set(report.agents.map((x) => x.contextWindowId)).size).to.equal(2);
    });
  });

  describe('cancel, wait, idempotency, limits', () => {
    it('cancels a pending task at once, a running one when the agent answers; refuses terminal ones', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const running = h.pool.assign({ type: 'x' }).task.taskId;
      const pending = h.pool.assign({ type: 'y' }).task.taskId;
      expect(h.pool.cancel(pending).state).to.equal('CANCELLED');
      expect(h.pool.cancel(running)).to.deep.include({ state: 'IN_PROGRESS', cancelRequested: true });
      expect(a.notifications).to.deep.equal([{ method: 'task.cancel', params: { taskId: running, epoch: 1 } }]);
      a.call(running).fail('cancelled');
      await h.settle();
      expect(h.pool.get(running).state).to.equal('CANCELLED');
      expect(codeOf(() => h.pool.cancel(running))).to.equal('NOT_CANCELLABLE');
      expect(codeOf(() => h.pool.cancel('nope'))).to.equal('TASK_NOT_FOUND');
      expect(a.calls, 'the cancelled pending task never ran').to.have.length(1);
    });

    it('cancels a task waiting out a retry delay', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      a.call(id).fail();
      await h.settle();
      expect(h.pool.cancel(id).state).to.equal('CANCELLED');
      h.clock.advance(5000);
      expect(a.calls).to.have.length(1);
    });

    it('resolves task.wait at the terminal state and times out with WAIT_TIMEOUT', async () => {
      const h = poolHarness();
      const a = h.addAgent('a');
      const id = h.pool.assign({ type: 'x' }).task.taskId;
      const waited = h.pool.wait(id, 10_000);
      const timedOut = h.pool.wait(id, 100).catch((e: AppError) => e.errorName);
      h.clock.advance(101);
      expect(await timedOut).to.equal('WAIT_TIMEOUT');
      a.call(id).complete('done');
      await h.settle();
      expect((await waited).result).to.equal('done');
      expect((await h.pool.wait(id, 1)).state, 'already terminal').to.equal('COMPLETED');
    });

    it('returns the existing task for a repeated idempotencyKey', () => {
      const h = poolHarness();
      const first = h.pool.assign({ type: 'x', idempotencyKey: 'k1' });
      const again = h.pool.assign({ type: 'x', idempotencyKey: 'k1' });
      expect(again.deduplicated).to.equal(true);
      expect(again.task.taskId).to.equal(first.task.taskId);
      expect(h.pool.assign({ type: 'x', idempotencyKey: 'k2' }).task.taskId).to.not.equal(first.task.taskId);
    });

    it('answers QUEUE_FULL past maxQueue and accepts again once there is room', () => {
      const h = poolHarness({ maxQueue: 2 });
      h.pool.assign({ type: 'x' });
      h.pool.assign({ type: 'x' });
      expect(codeOf(() => h.pool.assign({ type: 'x' }))).to.equal('QUEUE_FULL');
      h.addAgent('a');
      expect(codeOf(() => h.pool.assign({ type: 'x' }))).to.equal(undefined);
    });

    it('notifies the submitter on every state change when subscribed', async () => {
      const h = poolHarness();
      const seen: string[] = [];
      const id = h.pool.assign({ type: 'x' }, { notify: (method, p: any) => seen.push(`${method}:${p.state}`) }).task.taskId;
      const a = h.addAgent('a');
      a.call(id).complete();
      await h.settle();
      expect(seen).to.deep.equal(['task.updated:PENDING', 'task.updated:IN_PROGRESS', 'task.updated:COMPLETED']);
    });

    it('shuts down: refuses new tasks, drains running ones, requeues what is left', async () => {
      const h = poolHarness();
      const a = h.addAgent('a', 2);
      const quick = h.pool.assign({ type: 'q' }).task.taskId;
      const stuck = h.pool.assign({ type: 's' }).task.taskId;
      const done = h.pool.shutdown(1000);
      expect(codeOf(() => h.pool.assign({ type: 'late' }))).to.equal('SHUTTING_DOWN');
      a.call(quick).complete();
      await h.settle();
      h.clock.advance(1001);
      expect(await done).to.deep.equal({ drained: false, requeued: 1 });
      expect(h.pool.get(quick).state).to.equal('COMPLETED');
      expect(h.pool.get(stuck).state).to.equal('PENDING');
      expect(a.notifications.map((n) => n.method)).to.include('task.cancel');
    });
  });
});
