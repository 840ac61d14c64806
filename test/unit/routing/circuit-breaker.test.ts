import { expect } from 'chai';
import { CircuitBreakers, type BreakerTransition } from '../../../src/routing/circuit-breaker.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('CircuitBreakers', () => {
  let clock: VirtualClock;
  let transitions: BreakerTransition[];
  let breakers: CircuitBreakers;
  let live: Set<string>;

  /** One call to `agentId` that fails (or succeeds) at once. */
  const fail = (agentId: string) => breakers.failure(agentId, breakers.attempt(agentId)!);
  const succeed = (agentId: string) => breakers.success(agentId, breakers.attempt(agentId)!);
  const open = (agentId: string) => {
    for (let i = 0; i < 3; i++) fail(agentId);
  };

  beforeEach(() => {
    clock = new VirtualClock(1_000_000);
    transitions = [];
    live = new Set(['a', 'b', 'c']);
    breakers = new CircuitBreakers(
      { clock, isLive: (id) => live.has(id), onTransition: (t) => transitions.push(t) },
      { failureThreshold: 3, cooldownMs: 10_000 },
    );
  });

  it('stays closed below the threshold, and a success resets the count', () => {
    fail('a');
    fail('a');
    expect(breakers.available('a')).to.equal(true);
    expect(breakers.view('a')).to.deep.equal({ state: 'closed', consecutiveFailures: 2 });
    succeed('a');
    fail('a');
    fail('a');
    expect(breakers.state('a')).to.equal('closed');
    expect(transitions).to.deep.equal([]);
  });

  it('opens after K consecutive failures and keeps the agent out until the cooldown ends', () => {
    open('a');
    expect(breakers.state('a')).to.equal('open');
    expect(breakers.available('a')).to.equal(false);
    expect(breakers.attempt('a'), 'open: no ticket').to.equal(undefined);
    expect(breakers.view('a')).to.deep.equal({ state: 'open', consecutiveFailures: 3, openedAt: 1_000_000 });
    expect(transitions).to.deep.equal([{ agentId: 'a', from: 'closed', to: 'open', failures: 3 }]);
    clock.advance(9_999);
    expect(breakers.available('a')).to.equal(false);
    clock.advance(1);
    expect(breakers.state('a')).to.equal('half_open');
    expect(transitions.at(-1)).to.include({ from: 'open', to: 'half_open' });
  });

  it('half-open lets exactly one trial through (check and take in one step); its success closes the breaker', () => {
    open('a');
    clock.advance(10_000);
    expect(breakers.available('a')).to.equal(true);
    const trial = breakers.attempt('a');
    expect(trial).to.be.a('number');
    expect(breakers.available('a'), 'second caller while the trial is out').to.equal(false);
    expect(breakers.attempt('a'), 'a caller that saw it available earlier cannot take a second trial').to.equal(undefined);
    breakers.success('a', trial!);
    expect(breakers.state('a')).to.equal('closed');
    expect(breakers.available('a')).to.equal(true);
    expect(transitions.map((t) => t.to)).to.deep.equal(['open', 'half_open', 'closed']);
  });

  it('a failed trial opens it again for another full cooldown', () => {
    open('a');
    clock.advance(10_000);
    const trial = breakers.attempt('a')!;
    clock.advance(500);
    breakers.failure('a', trial);
    expect(breakers.state('a')).to.equal('open');
    expect(breakers.view('a').openedAt).to.equal(clock.now());
    clock.advance(9_999);
    expect(breakers.state('a')).to.equal('open');
    clock.advance(1);
    expect(breakers.state('a')).to.equal('half_open');
  });

  it('while open or half-open only the trial moves it: late outcomes of calls sent earlier are ignored', () => {
    const early = breakers.attempt('a')!;
    const earlier = breakers.attempt('a')!;
    open('a');
    breakers.success('a', early);
    expect(breakers.state('a'), 'a late success does not close an open breaker').to.equal('open');
    clock.advance(10_000);
    const trial = breakers.attempt('a')!;
    breakers.failure('a', earlier);
    expect(breakers.state('a'), 'a late failure does not reopen it').to.equal('half_open');
    breakers.abandon('a', earlier);
    expect(breakers.available('a'), 'nor does a late abandon give the trial back').to.equal(false);
    breakers.success('a', trial);
    expect(breakers.state('a')).to.equal('closed');
  });

  it('abandon() gives the half-open trial back without closing or opening', () => {
    open('a');
    clock.advance(10_000);
    const trial = breakers.attempt('a')!;
    breakers.abandon('a', trial);
    expect(breakers.state('a')).to.equal('half_open');
    expect(breakers.available('a')).to.equal(true);
    breakers.abandon('nobody', 1);
  });

  it('keeps agents independent, counts by state, and forgets agents that left', () => {
    open('a');
    fail('b');
    expect(breakers.byState(['a', 'b', 'c'])).to.deep.equal({ closed: 2, open: 1, half_open: 0 });
    breakers.forget('a');
    clock.advance(60_000);
    expect(breakers.state('a')).to.equal('closed');
    expect(transitions.map((t) => t.to)).to.deep.equal(['open'], 'no half_open for a forgotten agent');
  });

  it('ignores failures reported after the agent left: no entry outlives its agent', () => {
    const pending = breakers.attempt('a')!;
    live.delete('a');
    breakers.forget('a');
    breakers.failure('a', pending);
    for (let i = 0; i < 5; i++) fail('gone');
    expect(breakers.entries()).to.deep.equal([]);
    expect(transitions).to.deep.equal([]);
  });

  it('stop() cancels the cooldown timers', () => {
    open('a');
    breakers.stop();
    clock.advance(60_000);
    expect(breakers.state('a')).to.equal('open');
  });
});
