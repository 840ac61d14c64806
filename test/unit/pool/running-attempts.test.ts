import { expect } from 'chai';
import type { AgentRecord } from '../../../src/pool/agent-record.js';
import { RunningAttempts } from '../../../src/pool/running-attempts.js';
import type { Observation } from '../../../src/routing/strategy.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { AgentWork } from '../../../src/pool/agent-work.js';

/** The bookkeeping of running attempts, with every collaborator a plain object. */
describe('RunningAttempts', () => {
  function setup() {
    const clock = new VirtualClock();
    const agent = {
      agentId: 'a1',
      capacity: 2,
      inFlight: new Set<string>(),
      draining: false,
      degraded: false,
      work: new AgentWork(),
    } as unknown as AgentRecord;
    const gate: string[] = [];
    const observed: Observation[] = [];
    const finishedAt: number[] = [];
    let changes = 0;
    const running = new RunningAttempts({
      clock,
      agents: {
        get: (id) => (id === agent.agentId ? agent : undefined),
        addTask: (a, id) => void a.inFlight.add(id),
        removeTask: (a, id) => void a.inFlight.delete(id),
        all: () => [agent].values(),
      },
      gate: {
        available: () => true,
        attempt: () => 7,
        success: (id, t) => void gate.push(`success ${id} ${t}`),
        failure: (id, t) => void gate.push(`failure ${id} ${t}`),
        abandon: (id, t) => void gate.push(`abandon ${id} ${t}`),
        forget: () => undefined,
      },
      router: { observe: (o) => void observed.push(o) },
      observer: {},
      forecaster: { finished: (now) => void finishedAt.push(now) },
      queued: () => 0,
      conditions: { changed: () => void changes++ },
    });
    return { clock, agent, gate, observed, finishedAt, running, changes: () => changes };
  }

  it('an attempt takes a slot and a gate ticket; its timer fires after the timeout', () => {
    const { clock, agent, running } = setup();
    let timedOut = 0;
    running.start('t1', 1, agent, { startedAt: clock.now(), timeoutMs: 500 }, () => timedOut++);
    expect(running.size).to.equal(1);
    expect(agent.inFlight.has('t1')).to.equal(true);
    expect(running.get('t1')).to.include({ epoch: 1, agentId: 'a1', ticket: 7 });
    clock.advance(499);
    expect(timedOut).to.equal(0);
    clock.advance(1);
    expect(timedOut).to.equal(1);
  });

  it('ending an attempt frees the slot, clears the timer and tells router, gate, forecaster and conditions', () => {
    const { clock, agent, gate, observed, finishedAt, running, changes } = setup();
    let timedOut = 0;
    const startedAt = clock.now();
    running.start('t1', 1, agent, { startedAt, timeoutMs: 500 }, () => timedOut++);
    clock.advance(200);
    running.end('t1', running.get('t1')!, 'completed');
    clock.advance(1000);
    expect(timedOut).to.equal(0);
    expect(running.size).to.equal(0);
    expect(agent.inFlight.size).to.equal(0);
    expect(observed).to.deep.equal([{ agentId: 'a1', latencyMs: 200, outcome: 'completed', at: startedAt + 200 }]);
    expect(gate).to.deep.equal(['success a1 7']);
    expect(finishedAt).to.deep.equal([startedAt + 200]);
    expect(changes()).to.equal(1);
  });

  it('a cancelled attempt gives its ticket back and teaches the router nothing; a lost one is no throughput', () => {
    const { clock, agent, gate, observed, finishedAt, running } = setup();
    running.start('t1', 1, agent, { startedAt: clock.now(), timeoutMs: 500 }, () => undefined);
    running.start('t2', 1, agent, { startedAt: clock.now(), timeoutMs: 500 }, () => undefined);
    for (const [taskId, run] of running.entries()) running.end(taskId, run, taskId === 't1' ? 'cancelled' : 'lost');
    expect(gate).to.deep.equal(['abandon a1 7', 'failure a1 7']);
    expect(observed.map((o) => o.outcome)).to.deep.equal(['lost']);
    expect(finishedAt).to.deep.equal([]);
  });
});
