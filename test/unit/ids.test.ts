import { expect } from 'chai';
import { z } from 'zod';
import { sequentialIds, uuid } from '../../src/ids.js';

describe('ids', () => {
  it('uuid makes RFC 4122 version 4 ids that zod accepts', () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (let i = 0; i < 1_000; i++) {
      const id = uuid();
      expect(id).to.match(v4);
      expect(z.uuid().safeParse(id).success, id).to.equal(true);
    }
  });

  it('uuid does not repeat across refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(uuid());
    expect(seen.size).to.equal(20_000);
  });

  it('uuid spreads its random digits over every hex value', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) for (const c of uuid().slice(0, 8)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).to.equal(16);
    for (const n of counts.values()) expect(n).to.be.within(700, 1_300); // 1,000 expected per digit
  });

  it('sequentialIds counts from 1 with its prefix', () => {
    const next = sequentialIds('t');
    expect([next(), next(), next()]).to.deep.equal(['t-1', 't-2', 't-3']);
  });
});
