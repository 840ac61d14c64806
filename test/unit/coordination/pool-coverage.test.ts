import { expect } from 'chai';
import { PoolCoverage } from '../../../src/coordination/pool-coverage.js';

describe('PoolCoverage (does the pool see all of its agents’ work?)', () => {
  it('covers while reports match the pool’s own load, and not once they exceed it past maxShare', () => {
    const alone = new PoolCoverage({ minReports: 5 });
    for (let i = 0; i < 50; i++) alone.observe(`a${i % 10}`, i, 0.55, 0.5, i);
    expect(alone.share).to.be.closeTo(1.1, 1e-9);
    expect(alone.covers).to.equal(true);
    const shared = new PoolCoverage({ minReports: 5 });
    for (let i = 0; i < 50; i++) shared.observe(`a${i % 10}`, i, 0.8, 0.2, i);
    expect(shared.share).to.be.closeTo(4, 1e-9);
    expect(shared.covers).to.equal(false);
  });

  it('compares each report once, skips stale ones, and believes nothing before minReports', () => {
    const c = new PoolCoverage({ minReports: 3, maxReportAgeMs: 1000 });
    c.observe('a', 100, 0.9, 0.1, 100);
    c.observe('a', 100, 0.9, 0.1, 200); // the same report again
    c.observe('b', 100, 0.9, 0.1, 5000); // 4.9 s old
    expect(c.share).to.be.closeTo(9, 1e-9);
    expect(c.covers, 'one report compared: not yet believed').to.equal(true);
    c.observe('b', 4900, 0.9, 0.1, 5000);
    c.observe('a', 4950, 0.9, 0.1, 5000);
    expect(c.covers).to.equal(false);
  });

  it('reads 1 before any own load was seen', () => {
    expect(new PoolCoverage().share).to.equal(1);
  });
});
