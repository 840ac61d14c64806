import { expect } from 'chai';
import { IdColumn } from '../../../src/coordination/id-column.js';
import { uuid } from '../../../src/ids.js';

describe('IdColumn', () => {
  it('reads back every uuid exactly, after the column grew', () => {
    const col = new IdColumn(4);
    const ids = Array.from({ length: 100 }, () => uuid());
    col.grow(100);
    ids.forEach((id, slot) => col.set(slot, id));
    expect(ids.map((_, slot) => col.get(slot))).to.deep.equal(ids);
    expect(col.slots).to.equal(100);
  });

  it('keeps ids that are not canonical lowercase uuids as they are', () => {
    const col = new IdColumn(8);
    const odd = [
      'id-1',
      '',
      'A0B1C2D3-0000-4000-8000-000000000000',
      'a0b1c2d3x0000-4000-8000-000000000000',
      'g0b1c2d3-0000-4000-8000-000000000000',
      '0'.repeat(36),
      'é'.repeat(36),
    ];
    odd.forEach((id, slot) => col.set(slot, id));
    expect(odd.map((_, slot) => col.get(slot))).to.deep.equal(odd);
  });

  it('replaces a slot in either direction and empties it on clear', () => {
    const col = new IdColumn(2);
    const u = '01234567-89ab-4def-8123-456789abcdef';
    col.set(0, 'id-1');
    col.set(0, u);
    expect(col.get(0)).to.equal(u);
    col.set(0, 'id-2');
    expect(col.get(0)).to.equal('id-2');
    col.clear(0);
    expect(col.get(0)).to.equal(undefined);
    expect(col.get(1)).to.equal(undefined);
    col.set(1, u);
    col.clear(1);
    expect(col.get(1)).to.equal(undefined);
  });
});
