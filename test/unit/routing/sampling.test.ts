import { expect } from 'chai';
import { seededRandom } from '../../../src/random.js';
import { sampleDistinct } from '../../../src/routing/sampling.js';
import { scriptedRandom } from './fakes.js';

describe('sampleDistinct', () => {
  it('draws k distinct indices in range', () => {
    const random = seededRandom(3);
    const out = new Int32Array(3);
    const taken = new Int32Array(3);
    for (let run = 0; run < 2_000; run++) {
      const n = 3 + (run % 7);
      sampleDistinct(random, n, 3, out, taken);
      const picks = [...out];
      expect(new Set(picks).size).to.equal(3);
      for (const p of picks) expect(p).to.be.within(0, n - 1);
    }
  });

  it('is uniform over ordered pairs', () => {
    const random = seededRandom(8);
    const out = new Int32Array(2);
    const taken = new Int32Array(2);
    const counts = new Map<string, number>();
    for (let i = 0; i < 24_000; i++) {
      sampleDistinct(random, 4, 2, out, taken);
      const key = `${out[0]}${out[1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).to.equal(12);
    for (const n of counts.values()) expect(n).to.be.within(1_800, 2_200);
  });

  it('maps each draw past the indices already taken', () => {
    const out = new Int32Array(3);
    // 0.5·5 → 2; 0.5·4 → 2, past the taken 2 → 3; 0.99·3 → 2, past 2 and 3 → 4
    sampleDistinct(scriptedRandom(0.5, 0.5, 0.99), 5, 3, out, new Int32Array(3));
    expect([...out]).to.deep.equal([2, 3, 4]);
  });

  it('stays in range when a Random returns 1', () => {
    const out = new Int32Array(2);
    sampleDistinct(scriptedRandom(1), 2, 2, out, new Int32Array(2));
    expect([...out].sort()).to.deep.equal([0, 1]);
  });
});
