import { expect } from 'chai';
import { adviseWait, DEFAULT_WAIT_OPTIONS } from '../../../src/routing/wait-advice.js';
import type { Candidate } from '../../../src/routing/strategy.js';

const price: Record<string, number> = { fast1: 100, fast2: 100, slow: 400, unseen: 1000 }; // slow is 4× fast
const ect = (c: Candidate): number => price[c.agentId]!;
const seen = (id: string): boolean => id !== 'unseen';
const busy = (agentId: string, inFlight = 2): Candidate => ({ agentId, inFlight, capacity: 2 });
const free = (agentId: string): Candidate => ({ agentId, inFlight: 0, capacity: 2 });
const advise = (ahead: number, f: Candidate[], b: Candidate[], options = DEFAULT_WAIT_OPTIONS) =>
  adviseWait({ taskId: 't', ahead }, f, b, ect, ect, seen, options);

describe('adviseWait', () => {
  it('waits when busy fast agents free a slot and finish sooner than the free slow agent', () => {
    // Two fast agents with 2 in flight each at 100 ms: a slot frees every 25 ms; (0 + 1 + 4) / (4 / 100) = 125 ms < 0.5 × 400.
    const a = advise(0, [free('slow')], [busy('fast1'), busy('fast2')]);
    expect(a.wait).to.equal(true);
    expect(a.waitMs).to.be.closeTo(125, 1e-9);
    expect(a.bestFreeMs).to.equal(400);
  });

  it('stops waiting once enough tasks are held ahead (the slow agent is used when the queue is long)', () => {
    // Pricing only the task's own wait: (ahead + 5) × 25 ms >= 0.5 × 400 ms once ahead >= 3.
    const own = { ...DEFAULT_WAIT_OPTIONS, margin: 0.5, queueWeight: 0 };
    expect(advise(2, [free('slow')], [busy('fast1'), busy('fast2')], own).wait).to.equal(true);
    expect(advise(3, [free('slow')], [busy('fast1'), busy('fast2')], own).wait).to.equal(false);
  });

  it('prices what a hold costs the tasks behind it: each task ahead counts 1 + queueWeight slots', () => {
    // Defaults (margin 0.7, queueWeight 1): (2·ahead + 5) × 25 ms >= 0.7 × 400 ms once ahead >= 4.
    expect(advise(3, [free('slow')], [busy('fast1'), busy('fast2')]).waitMs).to.be.closeTo(275, 1e-9);
    expect(advise(3, [free('slow')], [busy('fast1'), busy('fast2')]).wait).to.equal(true);
    expect(advise(4, [free('slow')], [busy('fast1'), busy('fast2')]).wait).to.equal(false);
    // A heavier weight gives up sooner: (3·ahead + 5) × 25 ms >= 280 ms once ahead >= 3.
    const heavy = { ...DEFAULT_WAIT_OPTIONS, queueWeight: 2 };
    expect(advise(2, [free('slow')], [busy('fast1'), busy('fast2')], heavy).wait).to.equal(true);
    expect(advise(3, [free('slow')], [busy('fast1'), busy('fast2')], heavy).wait).to.equal(false);
  });

  it('does not wait for a busy agent that is no better than the best free one', () => {
    const a = advise(0, [free('fast1')], [busy('fast2'), busy('slow')]);
    expect(a.wait).to.equal(false);
    expect(a.waitMs).to.equal(Number.POSITIVE_INFINITY);
    expect(a.shortlist!.map((c) => c.agentId)).to.deep.equal(['fast1']);
  });

  it('needs the margin: a gain smaller than it is not worth a hold', () => {
    const a = advise(0, [free('slow')], [busy('fast1'), busy('fast2')], { ...DEFAULT_WAIT_OPTIONS, margin: 0.3 });
    expect(a.wait).to.equal(false); // 125 > 0.3 × 400
  });

  it('cold start: never waits past a free agent that was never observed, and never waits for an unseen busy one', () => {
    const a = advise(0, [free('slow'), free('unseen')], [busy('fast1')]);
    expect(a.wait).to.equal(false);
    expect(a.shortlist).to.equal(undefined);
    expect(advise(0, [free('slow')], [busy('unseen')]).wait).to.equal(false);
  });

  it('shortlists the free agents within the factor of the best free one', () => {
    const a = advise(0, [free('fast1'), free('slow'), free('fast2')], [], { ...DEFAULT_WAIT_OPTIONS, shortlist: 3 });
    expect(a.shortlist!.map((c) => c.agentId)).to.deep.equal(['fast1', 'fast2']);
    const wide = advise(0, [free('fast1'), free('slow')], [], { ...DEFAULT_WAIT_OPTIONS, shortlist: 4 });
    const narrow = advise(0, [free('fast1'), free('slow')], [], { ...DEFAULT_WAIT_OPTIONS, shortlist: 2 });
    expect(narrow.shortlist!.map((c) => c.agentId)).to.deep.equal(['fast1']);
    expect(wide.shortlist!.map((c) => c.agentId)).to.deep.equal(['fast1', 'slow']);
  });

  it('disabled: always places now', () => {
    expect(advise(0, [free('slow')], [busy('fast1'), busy('fast2')], { ...DEFAULT_WAIT_OPTIONS, enabled: false }).wait).to.equal(false);
  });
});
