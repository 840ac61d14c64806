import { expect } from 'chai';
import { PoolObservers, RegisteredIds } from '../../../src/pool/pool-observers.js';
import { CircuitBreakers } from '../../../src/routing/circuit-breaker.js';
import { poolHarness } from '../../support/pool-harness.js';

describe('PoolObservers and RegisteredIds (subscribers of a pool built before them)', () => {
  it('tells every subscriber every hook, in the order they subscribed; hooks a subscriber lacks are skipped', () => {
    const heard: string[] = [];
    const observers = new PoolObservers();
    const h = poolHarness({ defaultMaxAttempts: 1 }, 1, undefined, observers);
    observers.subscribe({ agentState: (id, state) => heard.push(`first ${id} ${state}`) });
    observers.subscribe({
      agentState: (id, state) => heard.push(`second ${id} ${state}`),
      taskState: (task) => heard.push(`second task ${task.state}`),
      attemptRan: () => heard.push('second ran'),
    });
    const agent = h.addAgent('a1', 1);
    const { task } = h.pool.assign({ type: 'job' });
    agent.call(task.taskId).complete();
    return h.settle().then(() => {
      expect(heard).to.deep.equal([
        'first a1 IDLE',
        'second a1 IDLE',
        'second task PENDING',
        'first a1 EXECUTING',
        'second a1 EXECUTING',
        'second task IN_PROGRESS',
        'first a1 IDLE',
        'second a1 IDLE',
        'second ran',
        'second task COMPLETED',
      ]);
    });
  });

  it('forwards every hook of PoolObserver', () => {
    const calls: string[] = [];
    const observers = new PoolObservers();
    observers.subscribe(new Proxy({}, { get: (_t, name) => (typeof name === 'string' ? () => calls.push(name) : undefined) }));
    const task = {} as never;
    observers.taskState(task, undefined);
    observers.requeued(task, 'retry');
    observers.staleEpoch('result');
    observers.agentState('a', 'IDLE', undefined);
    observers.agentAdmin('a', 'drain');
    observers.retried(task);
    observers.queueWait(1);
    observers.holdStarted('t');
    observers.holdEnded('t', 1);
    observers.attemptRan(1);
    expect(calls).to.deep.equal([
      'taskState',
      'requeued',
      'staleEpoch',
      'agentState',
      'agentAdmin',
      'retried',
      'queueWait',
      'holdStarted',
      'holdEnded',
      'attemptRan',
    ]);
  });

  it('RegisteredIds agrees with the pool registry through registration, takeover and removal', () => {
    const observers = new PoolObservers();
    const registered = new RegisteredIds();
    observers.subscribe(registered);
    const h = poolHarness({}, 1, undefined, observers);
    expect(registered.has('a1')).to.equal(false);
    h.addAgent('a1', 1);
    expect(registered.has('a1')).to.equal(true);
    const old = h.sessionOf('a1');
    h.addAgent('a1', 2); // same id, new connection: a takeover, still registered
    expect(registered.has('a1')).to.equal(true);
    h.pool.disconnected('a1', old); // the old connection closing does not remove the new one
    expect(registered.has('a1')).to.equal(h.pool.agents.has('a1')).and.equal(true);
    h.pool.disconnected('a1', h.sessionOf('a1'));
    expect(registered.has('a1')).to.equal(h.pool.agents.has('a1')).and.equal(false);
  });

  it('the pool subscribes to its gate going half-open and dispatches the queued task then', async () => {
    let breakers!: CircuitBreakers;
    const h = poolHarness({ defaultMaxAttempts: 1 }, 1, (clock) => (breakers = new CircuitBreakers({ clock }, { failureThreshold: 1, cooldownMs: 5_000 })));
    const agent = h.addAgent('a1', 1);
    const first = h.pool.assign({ type: 'job' }).task;
    agent.call(first.taskId).fail('down');
    await h.settle();
    expect(breakers.state('a1')).to.equal('open');
    const queued = h.pool.assign({ type: 'job' }).task;
    await h.settle();
    expect(h.pool.get(queued.taskId).state).to.equal('PENDING');
    h.clock.advance(5_000);
    await h.settle();
    expect(breakers.state('a1')).to.equal('half_open');
    expect(h.pool.get(queued.taskId)).to.include({ state: 'IN_PROGRESS', agentId: 'a1' });
  });
});
