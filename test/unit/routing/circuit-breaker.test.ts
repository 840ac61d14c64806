import { expect } from 'chai';
import { CircuitBreakers, type BreakerTransition } from '../../../src/routing/circuit-breaker.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';

describe('CircuitBreakers', () => {
  let clock: VirtualClock;
  let transitions: BreakerTransition[];
  let breakers: CircuitBreakers;

  beforeEach(() => {
    clock = new VirtualClock(1_000_000);
    transitions = [];
    breakers = new CircuitBreakers({ clock, onTransition: (t) => transitions.push(t) }, { failureThreshold: 3, cooldownMs: 10_000 });
  });

  it('stays closed below the threshold, and a success resets the count', () => {
    breakers.failure('a');
    breakers.failure('a');
    expect(breakers.available('a')).to.equal(true);
    expect(breakers.view('a')).to.deep.equal({ state: 'closed', consecutiveFailures: 2 });
    breakers.success('a');
    breakers.failure('a');
    breakers.failure('a');
    expect(breakers.state('a')).to.equal('closed');
    expect(transitions).to.deep.equal([]);
  });

  it('opens after K consecutive failures and keeps the agent out until the cooldown ends', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    expect(breakers.state('a')).to.equal('open');
    expect(breakers.available('a')).to.equal(false);
    expect(breakers.view('a')).to.deep.equal({ state: 'open', consecutiveFailures: 3, openedAt: 1_000_000 });
    expect(transitions).to.deep.equal([{ agentId: 'a', from: 'closed', to: 'open', failures: 3 }]);
    clock.advance(9_999);
    expect(breakers.available('a')).to.equal(false);
    clock.advance(1);
    expect(breakers.state('a')).to.equal('half_open');
    expect(transitions.at(-1)).to.include({ from: 'open', to: 'half_open' });
  });

  it('half-open lets exactly one trial through; its success closes the breaker', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    clock.advance(10_000);
    expect(breakers.available('a')).to.equal(true);
    breakers.attempt('a');
    expect(breakers.available('a'), 'second caller while the trial is out').to.equal(false);
    breakers.success('a');
    expect(breakers.state('a')).to.equal('closed');
    expect(breakers.available('a')).to.equal(true);
    expect(transitions.map((t) => t.to)).to.deep.equal(['open', 'half_open', 'closed']);
  });

  it('abandon() gives a half-open trial back without closing or opening', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    clock.advance(10_000);
    breakers.attempt('a');
    expect(breakers.available('a')).to.equal(false);
    breakers.abandon('a');
    expect(breakers.state('a')).to.equal('half_open');
    expect(breakers.available('a')).to.equal(true);
    breakers.abandon('nobody');
  });

  it('a failed trial opens it again for another full cooldown', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    clock.advance(10_000);
    breakers.attempt('a');
    clock.advance(500);
    breakers.failure('a');
    expect(breakers.state('a')).to.equal('open');
    expect(breakers.view('a').openedAt).to.equal(clock.now());
    clock.advance(9_999);
    expect(breakers.state('a')).to.equal('open');
    clock.advance(1);
    expect(breakers.state('a')).to.equal('half_open');
  });

  it('keeps agents independent, counts by state, and forgets agents that left', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    breakers.failure('b');
    expect(breakers.counts(['a', 'b', 'c'])).to.deep.equal({ closed: 2, open: 1, half_open: 0 });
    breakers.forget('a');
    clock.advance(60_000);
    expect(breakers.state('a')).to.equal('closed');
    expect(transitions.map((t) => t.to)).to.deep.equal(['open'], 'no half_open for a forgotten agent');
  });

  it('stop() cancels the cooldown timers', () => {
    for (let i = 0; i < 3; i++) breakers.failure('a');
    breakers.stop();
    clock.advance(60_000);
    expect(breakers.state('a')).to.equal('open');
  });
});
