/**
 * Two strategies on the same seeds of one scenario variant, compared seed by seed. The simulation
 * gives every strategy the same arrivals and task sizes (common random numbers), so the ratio of
 * one run to the other on the same seed varies far less than either run varies across seeds: a
 * paired interval says whether a small difference (a target of "no worse than +2%") is real.
 *
 * Reports, per metric (mean, p99), the ratio of the means over seeds (what bench:routing's targets
 * read) and the mean of the per-seed ratios with its 95% t-interval.
 *
 * Run: npx tsx bench/routing-paired.ts --variant s6-90 [--a RIPPLE_COORDINATION] [--b LEAST_LOADED]
 *      [--seeds 10] [--tasks 4000] [--jobs 2]
 */
import { parseArgs } from 'node:util';
import { runAll } from './sim/runner.js';
import type { RunSpec } from './sim/run.js';
import { SCENARIOS } from './sim/scenarios.js';
import { estimate } from './sim/stats.js';
import type { BenchStrategy } from './sim/strategies.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string' },
    a: { type: 'string', default: 'RIPPLE_COORDINATION' },
    b: { type: 'string', default: 'LEAST_LOADED' },
    seeds: { type: 'string', default: '10' },
    tasks: { type: 'string', default: '4000' },
    jobs: { type: 'string', default: '2' },
  },
});
const seeds = Number(args.seeds);
const tasks = Number(args.tasks);
const jobs = Number(args.jobs);
const found = SCENARIOS.flatMap((sc) => sc.variants.map((v, index) => ({ sc, v, index }))).find((x) => x.v.key === args.variant);
if (found === undefined || !(seeds >= 2 && tasks >= 100 && jobs >= 1)) {
  console.error('usage: tsx bench/routing-paired.ts --variant s6-90 [--a STRATEGY] [--b STRATEGY] [--seeds N>=2] [--tasks N>=100] [--jobs N]');
  process.exit(2);
}
const a = args.a as BenchStrategy;
const b = args.b as BenchStrategy;
const specs: RunSpec[] = [];
for (const strategy of [a, b]) for (let seed = 1; seed <= seeds; seed++) specs.push({ scenario: found.sc.id, variant: found.index, strategy, seed, tasks });
const results = await runAll(specs, jobs);
const ofA = results.slice(0, seeds);
const ofB = results.slice(seeds);

console.log(`${args.variant}: ${a} against ${b}, ${seeds} seeds × ~${tasks} tasks`);
for (const metric of ['mean', 'p99'] as const) {
  const xa = ofA.map((r) => r.latency[metric]);
  const xb = ofB.map((r) => r.latency[metric]);
  const ratios = xa.map((x, i) => x / xb[i]!);
  const pooled = xa.reduce((s, x) => s + x, 0) / xb.reduce((s, x) => s + x, 0);
  const paired = estimate(ratios);
  console.log(
    `  ${metric.padEnd(4)} ratio of means ×${pooled.toFixed(3)}; per-seed ratio ×${paired.mean.toFixed(3)} ±${paired.ci.toFixed(3)} (95%); ` +
      `per seed: ${ratios.map((r) => r.toFixed(3)).join(' ')}`,
  );
}
