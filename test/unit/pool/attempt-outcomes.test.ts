import { expect } from 'chai';
import { silentLog } from '../../../src/log.js';
import { AgentCallError } from '../../../src/agent-call-error.js';
import { AttemptOutcomes, observedOutcome } from '../../../src/pool/attempt-outcomes.js';
import type { RequeueReason } from '../../../src/pool/pool-observer.js';
import { newTask, withAttemptStarted } from '../../../src/pool/task-records.js';
import type { TaskRecord } from '../../../src/pool/task-store.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

/** What becomes of a task when its attempt ends, with every collaborator a plain object. */
describe('AttemptOutcomes', () => {
  function setup(options = { maxRequeues: 1, retryBaseDelayMs: 100, retryMaxDelayMs: 1000 }) {
    const clock = new VirtualClock();
    const tasks = new Map<string, TaskRecord>();
    const enqueued: string[] = [];
    const finished: string[] = [];
    const requeued: RequeueReason[] = [];
    const retries: { taskId: string; delayMs: number; due: () => void }[] = [];
    const outcomes = new AttemptOutcomes(
      {
        clock,
        random: { next: () => 0.5 },
        store: { get: (id) => tasks.get(id), update: (t) => void tasks.set(t.taskId, t) },
        events: { changed: () => undefined, finished: (t) => void finished.push(t.taskId) },
        log: silentLog,
        observer: { requeued: (_t, reason) => void requeued.push(reason) },
        pending: { retryLater: (taskId, delayMs, due) => void retries.push({ taskId, delayMs, due }) },
        enqueue: (t) => void enqueued.push(t.taskId),
      },
      options,
    );
    /** A task running its first attempt on agent `a1`. */
    const running = (maxAttempts = 2): TaskRecord => {
      const task = withAttemptStarted(
        newTask(
          { type: 'job', maxAttempts },
          { taskId: 't1', traceId: 'x', now: clock.now(), defaults: { defaultMaxAttempts: 3, defaultTaskTimeoutMs: 1000 } },
        ),
        'a1',
        clock.now(),
      );
      tasks.set(task.taskId, task);
      return task;
    };
    return { outcomes, tasks, enqueued, finished, requeued, retries, running };
  }

  it('a success completes the task with its result', () => {
    const { outcomes, tasks, finished, running } = setup();
    outcomes.answered(running(), { result: { ok: 1 } });
    expect(tasks.get('t1'))
      .to.include({ state: 'COMPLETED' })
      .and.deep.include({ result: { ok: 1 } });
    expect(finished).to.deep.equal(['t1']);
  });

  it('a retryable failure with attempts left goes back to PENDING and is queued again after the backoff', () => {
    const { outcomes, tasks, enqueued, requeued, retries, running } = setup();
    outcomes.answered(running(), { error: new AgentCallError('remote', 'boom', { code: 1, message: 'boom' }) });
    expect(tasks.get('t1')!.state).to.equal('PENDING');
    expect(requeued).to.deep.equal(['retry']);
    expect(retries.map((r) => r.delayMs)).to.deep.equal([75]);
    expect(enqueued).to.deep.equal([]);
    retries[0]!.due();
    expect(enqueued).to.deep.equal(['t1']);
  });

  it('a failure the agent marks not retryable, or the last attempt, FAILS at once', () => {
    const a = setup();
    a.outcomes.answered(a.running(), { error: new AgentCallError('remote', 'no', { code: 1, message: 'no', data: { retryable: false } }) });
    expect(a.tasks.get('t1')!.state).to.equal('FAILED');
    const b = setup();
    b.outcomes.timedOut(b.running(1));
    expect(b.tasks.get('t1')).to.include({ state: 'FAILED' });
    expect(b.tasks.get('t1')!.error!.message).to.match(/exceeded 1000 ms/);
  });

  it('a lost agent requeues the task at once, until the requeue limit, then FAILS it', () => {
    const { outcomes, tasks, enqueued, requeued, running } = setup();
    outcomes.lost(running(), 'disconnect');
    expect(tasks.get('t1')!.state).to.equal('PENDING');
    expect(enqueued).to.deep.equal(['t1']);
    expect(requeued).to.deep.equal(['disconnect']);
    tasks.set('t1', withAttemptStarted(tasks.get('t1')!, 'a2', 0));
    outcomes.lost(tasks.get('t1')!, 'agent_removed');
    expect(tasks.get('t1')!.state).to.equal('FAILED');
    expect(enqueued).to.deep.equal(['t1']);
  });

  it('a cancel requested ends the task CANCELLED whatever the attempt did', () => {
    const { outcomes, tasks, running } = setup();
    outcomes.timedOut({ ...running(), cancelRequested: true });
    expect(tasks.get('t1')!.state).to.equal('CANCELLED');
    expect(tasks.get('t1')!.attempts[0]!.outcome).to.equal('cancelled');
  });

  it('tells the router how the attempt went', () => {
    expect(observedOutcome(undefined)).to.equal('completed');
    expect(observedOutcome(new AgentCallError('disconnected', 'gone'))).to.equal('lost');
    expect(observedOutcome(new AgentCallError('timeout', 'slow'))).to.equal('timeout');
    expect(observedOutcome(new Error('other'))).to.equal('failed');
  });
});
