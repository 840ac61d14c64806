import { seededRandom, type Random } from '../../src/random.js';

/** A 32-bit hash of a seed and labels, so every stream of randomness is independent and named. */
export function streamSeed(seed: number, ...labels: (string | number)[]): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const label of labels) {
    const s = String(label);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0xff, 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded generator for one named stream of a run. */
export function stream(seed: number, ...labels: (string | number)[]): Random {
  return seededRandom(streamSeed(seed, ...labels));
}

/** Standard normal (Box–Muller; one of the pair is thrown away to keep streams simple). */
export function normal(r: Random): number {
  const u = 1 - r.next(); // (0, 1]
  const v = r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal with the given mean and log-space standard deviation `sigma`. */
export function lognormal(r: Random, mean: number, sigma: number): number {
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * normal(r));
}

/** Exponential with the given mean. */
export function exponential(r: Random, mean: number): number {
  return -mean * Math.log(1 - r.next());
}

/** Uniform in [lo, hi). */
export function uniform(r: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * r.next();
}

export const clampUnit = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
