import { expect } from 'chai';
import { AgentViews } from '../../../src/pool/agent-views.js';
import { EventStream, type DeliveredEvent } from '../../../src/pool/event-stream.js';
import { PoolEventFeed } from '../../../src/pool/pool-event-feed.js';
import type { PoolObserver } from '../../../src/pool/pool-observer.js';
import { poolHarness } from '../../support/pool-harness.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('EventStream', () => {
  it("numbers each subscription's events 1, 2, 3… after its seq-0 snapshot, and applies its filter", () => {
    const stream = new EventStream(new VirtualClock());
    const all: DeliveredEvent[] = [];
    const tasksOfA: DeliveredEvent[] = [];
    expect(stream.subscribe('c1', {}, (e) => all.push(e)).seq).to.equal(0);
    stream.subscribe('c2', { types: ['task.state'], agentId: 'a', taskType: 'x' }, (e) => tasksOfA.push(e));
    stream.publish({ type: 'agent.joined', agentId: 'a', data: { agentId: 'a' } });
    stream.publish({ type: 'task.state', agentId: 'a', taskType: 'x', data: { n: 1 } });
    stream.publish({ type: 'task.state', agentId: 'b', taskType: 'x', data: { n: 2 } });
    stream.publish({ type: 'task.state', agentId: 'a', taskType: 'y', data: { n: 3 } });
    stream.publish({ type: 'task.state', agentId: 'a', taskType: 'x', data: { n: 4 } });
    expect(all.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(tasksOfA.map((e) => [e.seq, (e.data as { n: number }).n])).to.deep.equal([
      [1, 1],
      [2, 4],
    ]);
  });

  it('lets alerts through an agentId filter and agent events through a taskType filter', () => {
    const stream = new EventStream(new VirtualClock());
    const got: string[] = [];
    stream.subscribe('c', { agentId: 'a', taskType: 'x' }, (e) => got.push(e.type));
    stream.publish({ type: 'alert.raised', data: {} });
    stream.publish({ type: 'agent.state', agentId: 'a', data: {} });
    stream.publish({ type: 'agent.state', agentId: 'b', data: {} });
    stream.publish({ type: 'task.created', taskType: 'x', data: {} });
    expect(got).to.deep.equal(['alert.raised', 'agent.state']);
  });

  it("unsubscribes only the owner's own subscription and drops every subscription of a closed connection", () => {
    const stream = new EventStream(new VirtualClock());
    const got: string[] = [];
    const s1 = stream.subscribe('c1', {}, () => got.push('s1')).subscriptionId;
    stream.subscribe('c1', {}, () => got.push('s2'));
    stream.subscribe('c2', {}, () => got.push('s3'));
    expect(stream.unsubscribe('c2', s1)).to.equal(false);
    expect(stream.unsubscribe('c1', s1)).to.equal(true);
    expect(stream.unsubscribe('c1', s1)).to.equal(false);
    expect(stream.countOf('c1')).to.equal(1);
    expect(stream.removeOwner('c1')).to.equal(1);
    stream.publish({ type: 'alert.cleared', data: {} });
    expect(got).to.deep.equal(['s3']);
    expect(stream.size).to.equal(1);
  });
});

describe('PoolEventFeed over a real pool', () => {
  function setup() {
    const feedRef: { feed?: PoolEventFeed } = {};
    const observer: PoolObserver = {
      agentState: (id, state, previous) => feedRef.feed!.agentState(id, state, previous),
      taskState: (task, previous) => feedRef.feed!.taskState(task, previous),
    };
    const h = poolHarness({}, 1, undefined, observer);
    const stream = new EventStream(h.clock);
    const views = new AgentViews(h.pool, {
      clock: h.clock,
      routingScore: () => 0.5,
      coordination: () => ({
        signals: [],
        scores: { load: 0.5, capacity: 0.5, quality: 0.5, cost: 0.5, latency: 0.5, availability: 0.5 },
        overload: { willOverload: false, predictedLoad: 0, confidence: 0 },
      }),
      breaker: () => ({ state: 'closed', consecutiveFailures: 0 }),
      spawnedFrom: (id) => (id === 'spawned' ? 'echo' : undefined),
    });
    feedRef.feed = new PoolEventFeed(stream, views, (id) => h.pool.agents.get(id) !== undefined);
    return { ...h, stream, views, feed: feedRef.feed };
  }

  it('a snapshot taken with subscribe() plus the events that follow equals the state after them (nothing lost in between)', async () => {
    const h = setup();
    const a = h.addAgent('a', 1);
    const t0 = h.pool.assign({ type: 'x' }).task.taskId;
    // Snapshot and subscription in one turn.
    const snapshot = new Map(h.views.all().map((s) => [s.agentId, s.state as string]));
    const events: DeliveredEvent[] = [];
    const { seq } = h.stream.subscribe('c', {}, (e) => events.push(e));
    a.call(t0).complete();
    await h.settle();
    const t1 = h.pool.assign({ type: 'y' }).task.taskId;
    h.addAgent('b', 1);
    h.pool.operator.removeByOperator('b', true);
    // Replaying events onto the snapshot gives the live state.
    for (const e of events) {
      const d = e.data as { agentId: string; state?: string };
      if (e.type === 'agent.joined' || e.type === 'agent.state') snapshot.set(d.agentId, d.state!);
      if (e.type === 'agent.left') snapshot.delete(d.agentId);
    }
    expect(Object.fromEntries(snapshot)).to.deep.equal(Object.fromEntries(h.views.all().map((s) => [s.agentId, s.state])));
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => seq + 1 + i));
    // The slot frees (agent a IDLE) before the task is written COMPLETED; t1 goes to a at once (a
    // takes the slot, EXECUTING, before the task is written IN_PROGRESS).
    expect(events.map((e) => e.type)).to.deep.equal(['agent.state', 'task.state', 'task.created', 'agent.state', 'task.state', 'agent.joined', 'agent.left']);
    expect(events[0]!.data).to.include({ agentId: 'a', state: 'IDLE', previous: 'EXECUTING' });
    expect(events[1]!.data).to.include({ taskId: t0, state: 'COMPLETED', previous: 'IN_PROGRESS', agentId: 'a' });
    expect(events[2]!.data).to.include({ taskId: t1, state: 'PENDING', type: 'y' });
    expect(events[4]!.data).to.include({ taskId: t1, state: 'IN_PROGRESS', previous: 'PENDING', agentId: 'a' });
    expect(events[5]!.data).to.include({ agentId: 'b', state: 'IDLE', spawned: false });
    expect(events[6]!.data).to.deep.equal({ agentId: 'b', reason: 'removed' });
  });

  it('builds no event data while nobody listens, and reports operator updates as agent.state', () => {
    const h = setup();
    h.addAgent('a', 1);
    const events: DeliveredEvent[] = [];
    h.stream.subscribe('c', { types: ['agent.state'] }, (e) => events.push(e));
    h.pool.operator.updateAgent('a', { capacity: 3, tags: ['t'] });
    h.feed.agentChanged('a');
    expect(events).to.have.length(1);
    expect(events[0]!.data).to.include({ agentId: 'a', capacity: 3, state: 'IDLE', previous: 'IDLE' });
  });
});

describe('AgentViews', () => {
  it('lists registered agents by id with filters and cursor paging, and shows one in full', async () => {
    const h = poolHarness();
    const signalAt = h.clock.now();
    const views = new AgentViews(h.pool, {
      clock: h.clock,
      routingScore: (id) => (id === 'a1' ? 0.9 : 0.5),
      coordination: () => ({
        signals: [{ signalType: 'load', value: 0.2, timestamp: signalAt }],
        scores: { load: 0.8, capacity: 0.5, quality: 0.5, cost: 0.5, latency: 0.5, availability: 0.5 },
        overload: { willOverload: true, predictedLoad: 0.9, confidence: 0.7 },
      }),
      breaker: () => ({ state: 'half_open', consecutiveFailures: 2 }),
      spawnedFrom: (id) => (id === 'b2' ? 'echo' : undefined),
    });
    for (const id of ['c3', 'a1', 'b2', 'd4', 'e5']) h.addAgent(id, 2, id === 'a1' ? ['gpu'] : []);
    const a1 = h.agents.get('a1')!;
    const task = h.pool.assign({ type: 'job', requiredCapabilities: ['gpu'] }).task.taskId;
    h.clock.advance(250);
    a1.call(task).complete();
    await h.settle();
    const page1 = views.list({}, { limit: 2 });
    expect(page1.agents.map((a) => a.agentId)).to.deep.equal(['a1', 'b2']);
    expect(page1.total).to.equal(5);
    const page2 = views.list({}, { limit: 2, cursor: page1.nextCursor });
    expect(page2.agents.map((a) => a.agentId)).to.deep.equal(['c3', 'd4']);
    const page3 = views.list({}, { limit: 2, cursor: page2.nextCursor });
    expect(page3).to.deep.equal({ agents: [page3.agents[0]], total: 5 });
    expect(views.list({ capability: 'gpu' }, {}).agents.map((a) => a.agentId)).to.deep.equal(['a1']);
    expect(views.list({ spawned: true }, {}).agents.map((a) => a.agentId)).to.deep.equal(['b2']);
    expect(views.list({ spawned: false, q: '5' }, {}).agents.map((a) => a.agentId)).to.deep.equal(['e5']);
    expect(views.list({ template: 'echo' }, {}).agents.map((a) => a.template)).to.deep.equal(['echo']);
    h.pool.operator.drainAgent('d4');
    expect(views.list({ state: 'DRAINING' }, {}).agents.map((a) => a.agentId)).to.deep.equal(['d4']);
    const detail = views.detail('a1');
    expect(detail).to.deep.include({
      agentId: 'a1',
      routingScore: 0.9,
      capacity: 2,
      inFlight: 0,
      spawned: false,
      completed: 1,
      failed: 0,
      heartbeatAgeMs: 250,
    });
    expect(detail.latencyMs).to.deep.equal({ mean: 250, p95: 250 });
    expect(detail.breaker).to.deep.equal({ state: 'half-open', consecutiveFailures: 2 });
    expect(detail.signals).to.deep.equal([{ signalType: 'load', value: 0.2, score: 0.8, ageMs: 250 }]);
    expect(detail.overload).to.deep.equal({ willOverload: true, predictedLoad: 0.9, confidence: 0.7 });
    expect(() => views.detail('ghost')).to.throw(/Unknown agent/);
  });
});
