import type { Random } from '../random.js';

/**
 * Draws `k` distinct indices uniformly from [0, n) into `out[0..k)`, in draw order, without
 * allocating (`taken` is scratch space of at least k). The i-th draw is uniform over the n − i
 * indices not yet taken, mapped past the taken ones in ascending order: exact, and O(k²), which
 * is what the router wants for k = 2 or 3. Requires 0 <= k <= n.
 */
export function sampleDistinct(random: Random, n: number, k: number, out: Int32Array, taken: Int32Array): void {
  for (let i = 0; i < k; i++) {
    // min() guards a Random that breaks its [0, 1) contract by returning 1.
    let r = Math.min(Math.floor(random.next() * (n - i)), n - i - 1);
    let at = 0;
    while (at < i && taken[at]! <= r) {
      r++;
      at++;
    }
    for (let j = i; j > at; j--) taken[j] = taken[j - 1]!;
    taken[at] = r;
    out[i] = r;
  }
}
