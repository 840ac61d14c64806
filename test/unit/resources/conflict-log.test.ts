import { expect } from 'chai';
import { ConflictLog, percentiles } from '../../../src/resources/conflict-log.js';
import type { ConflictEvent } from '../../../src/resources/types.js';

const event = (n: number, at = n): ConflictEvent => ({
  conflictId: `c${n}`,
  resource: n % 2 === 0 ? 'even' : 'odd',
  mode: 'exclusive',
  priority: 0,
  agentId: `a${n}`,
  holders: [],
  holderCount: 1,
  waiters: 0,
  kind: 'exclusive_held',
  at,
  resolution: 'pending',
});

describe('ConflictLog', () => {
  it('keeps the newest `capacity` events across many wraps, newest first, filtered by resource', () => {
    const log = new ConflictLog(4);
    for (let i = 1; i <= 11; i++) log.open(event(i));
    expect(log.recent(10).map((e) => e.conflictId)).to.deep.equal(['c11', 'c10', 'c9', 'c8']);
    expect(log.recent(1, 'even').map((e) => e.conflictId)).to.deep.equal(['c10']);
    expect(log.totals()).to.deep.include({ total: 11, pending: 11, resolutionRate: 1 });
  });

  it('ends an event once; counts it by resolution; windows by end time', () => {
    const log = new ConflictLog(10);
    const [a, b, c] = [log.open(event(1, 0)), log.open(event(2, 0)), log.open(event(3, 0))];
    expect(log.end(a, 'resolved', 100, 'L1')).to.equal(true);
    expect(log.end(a, 'escalated', 200)).to.equal(false);
    log.end(b, 'escalated', 300);
    log.end(c, 'abandoned', 400);
    expect(a).to.deep.include({ resolution: 'resolved', waitedMs: 100, endedAt: 100, leaseId: 'L1' });
    expect(log.totals()).to.deep.equal({
      total: 3,
      resolved: 1,
      escalated: 1,
      abandoned: 1,
      pending: 0,
      resolutionRate: 0.5,
      waitMs: { p50: 100, p95: 100, p99: 100 },
    });
    expect(log.window(150)).to.deep.equal({ resolved: 0, escalated: 1, abandoned: 1, resolutionRate: 0, waitMs: { p50: 0, p95: 0, p99: 0 } });
  });

  it('computes nearest-rank percentiles', () => {
    const sample = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(sample)).to.deep.equal({ p50: 50, p95: 95, p99: 99 });
    expect(percentiles([7])).to.deep.equal({ p50: 7, p95: 7, p99: 7 });
    expect(percentiles([])).to.deep.equal({ p50: 0, p95: 0, p99: 0 });
  });
});
