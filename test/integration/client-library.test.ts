import { expect } from 'chai';
import { once } from 'node:events';
import { AgentWorker } from '../../src/client/index.js';
import { inProcessSuite } from '../support/in-process-daemon.js';

/** The coordd/client library against the daemon (in-process, over linked pairs): an agent in a few lines, an operator in one. */
describe('coordd/client against the in-process daemon', function () {
  this.timeout(20_000);
  const suite = inProcessSuite();

  it('runs a task on an AgentWorker and returns its result to the operator, with progress on the way', async () => {
    const worker = new AgentWorker({
      transport: suite.daemon.transport(),
      agentId: 'lib-summarizer',
      capabilities: ['summarize'],
      capacity: 2,
      handler: async (task, ctx) => {
        ctx.progress(0.5, 'counting');
        return { length: String((task.payload as { text: string }).text).length };
      },
    });
    suite.workers.push(worker);
    const reg = await worker.start();
    expect(reg.agentId).to.equal('lib-summarizer');
    const assigned = await suite.op.assign({ type: 'summarize', requiredCapabilities: ['summarize'], payload: { text: 'hello agents' } });
    const done = await suite.op.waitTask(assigned.taskId, 5000);
    expect(done).to.deep.include({ state: 'COMPLETED', agentId: 'lib-summarizer' });
    expect(done.result).to.deep.equal({ length: 12 });
  });

  it('aborts the handler’s AbortSignal on task.cancel and the task ends CANCELLED', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let aborted = false;
    const worker = new AgentWorker({
      transport: suite.daemon.transport(),
      capabilities: ['long'],
      capacity: 1,
      handler: async (_task, ctx) => {
        started();
        await once(ctx.signal, 'abort');
        aborted = true;
        throw new Error('stopped');
      },
    });
    suite.workers.push(worker);
    await worker.start();
    const t = await suite.op.assign({ type: 'long', requiredCapabilities: ['long'] });
    await running;
    await suite.op.cancelTask(t.taskId);
    const done = await suite.op.waitTask(t.taskId, 5000);
    expect(done.state).to.equal('CANCELLED');
    expect(aborted).to.equal(true);
  });

  it('retries a handler failure on another attempt and reports retryable:false failures at once', async () => {
    let calls = 0;
    const worker = new AgentWorker({
      transport: suite.daemon.transport(),
      capabilities: ['flaky'],
      capacity: 1,
      handler: async (task) => {
        calls++;
        if ((task.payload as { final?: boolean }).final) throw Object.assign(new Error('never works'), { retryable: false });
        if (calls === 1) throw new Error('transient');
        return 'ok';
      },
    });
    suite.workers.push(worker);
    await worker.start();
    const flaky = await suite.op.assign({ type: 'flaky', requiredCapabilities: ['flaky'], payload: {}, maxAttempts: 3 });
    // The retry waits out its backoff on the daemon's clock.
    const ok = await suite.daemon.advanceUntil(suite.op.waitTask(flaky.taskId, 10_000), 'the retried task');
    expect(ok.state).to.equal('COMPLETED');
    expect(ok.attempts.map((a) => a.outcome)).to.deep.equal(['failed', 'completed']);
    const final = await suite.op.assign({ type: 'flaky', requiredCapabilities: ['flaky'], payload: { final: true }, maxAttempts: 3 });
    const failed = await suite.op.waitTask(final.taskId, 5000);
    expect(failed.state).to.equal('FAILED');
    expect(failed.attempts).to.have.length(1);
  });
});
