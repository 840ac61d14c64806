import { expect } from 'chai';
import { MemoryLeaseStore } from '../../../src/resources/memory-lease-store.js';
import { leaseStoreConformance } from './lease-store-conformance.js';

leaseStoreConformance('MemoryLeaseStore', (options) => new MemoryLeaseStore(options));

describe('MemoryLeaseStore', () => {
  it('defaults to ten minutes and 10 000 outcomes', () => {
    expect(new MemoryLeaseStore().options).to.deep.equal({ outcomeRetentionMs: 600_000, maxOutcomes: 10_000 });
  });
});
