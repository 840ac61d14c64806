/**
 * How far can a rule that does not know task sizes get in the two-tier scenario (bench:routing's
 * scenario 7)? An idealized queue, not the daemon: one FIFO queue in front of 16 fast workers
 * (speed 1) and 16 slow ones (f× slower, f = 3, 3.5, 4, 4.5, 5 as the scenario draws it), lognormal
 * work (mean 1 s, σ = 1), Poisson arrivals at 60–90% of the fleet's throughput, no estimation error,
 * no hold bounds. Policies, all blind to the task's size:
 *   RANDOM   work-conserving, a uniformly random free worker (stands in for the baselines);
 *   FASTEST  work-conserving, a free fast worker first;
 *   T<k>     a free fast worker first; a slow one only when more than k tasks wait (the threshold
 *            rule of the slow-server problem, Lin and Kumar 1984), k swept.
 * Mean and p99 of the latency (wait + service) after a 10% warm-up, and the share of tasks run on
 * the slow tier, averaged over f and seeds.
 *
 * Run: npx tsx bench/routing-bound.ts [--tasks 40000] [--seeds 4] [--workers 16] [--slowdowns 3,3.5,4,4.5,5] [--loads 0.6,0.7,0.8,0.9]
 * (`--workers 8 --slowdowns 4` is bench:routing-live's fleet: 8 fast slots and 8 slots 4× slower.)
 */
import { parseArgs } from 'node:util';
import { exponential, lognormal, stream } from './sim/distributions.js';
import { MinHeap } from './sim/min-heap.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '40000' },
    seeds: { type: 'string', default: '4' },
    workers: { type: 'string', default: '16' },
    slowdowns: { type: 'string', default: '3,3.5,4,4.5,5' },
    loads: { type: 'string', default: '0.6,0.7,0.8,0.9' },
  },
});
const numbers = (list: string): number[] => list.split(',').map(Number);
const TASKS = Number(args.tasks);
const SEEDS = Number(args.seeds);
/** Workers per tier. */
const WORKERS = Number(args.workers);
const LOADS = numbers(args.loads);
const SLOWDOWNS = numbers(args.slowdowns);
const POLICIES = ['RANDOM', 'FASTEST', 'T2', 'T4', 'T8', 'T12', 'T16', 'T24', 'T32'];

interface Done {
  at: number;
  fast: boolean;
  arrived: number;
}

/** One run: mean and p99 latency, seconds. */
function run(load: number, f: number, policy: string, seed: number): { mean: number; p99: number; slowShare: number } {
  const arrivals = stream(seed, 'bound', 'arrivals');
  const sizes = stream(seed, 'bound', 'sizes');
  const choice = stream(seed, 'bound', 'choice');
  const rate = (load * (WORKERS + WORKERS / f)) / 1000; // tasks per ms
  const threshold = policy.startsWith('T') ? Number(policy.slice(1)) : 0;
  const events = new MinHeap<Done>((a, b) => a.at < b.at);
  const queue: { arrived: number; work: number }[] = [];
  let head = 0;
  let freeFast = WORKERS;
  let freeSlow = WORKERS;
  const latencies: number[] = [];
  let slow = 0;
  const start = (now: number, fast: boolean): void => {
    const task = queue[head++]!;
    if (fast) freeFast--;
    else (freeSlow--, slow++);
    events.push({ at: now + task.work * (fast ? 1 : f), fast, arrived: task.arrived });
  };
  const dispatch = (now: number): void => {
    while (head < queue.length) {
      const waiting = queue.length - head;
      if (policy === 'RANDOM') {
        if (freeFast + freeSlow === 0) return;
        start(now, choice.next() * (freeFast + freeSlow) < freeFast);
      } else if (freeFast > 0) start(now, true);
      else if (freeSlow > 0 && (policy === 'FASTEST' || waiting > threshold)) start(now, false);
      else return;
    }
  };
  let next = exponential(arrivals, 1 / rate);
  let arrived = 0;
  while (arrived < TASKS || events.size > 0) {
    const done = events.peek();
    if (arrived < TASKS && (done === undefined || next <= done.at)) {
      queue.push({ arrived: next, work: lognormal(sizes, 1000, 1) });
      arrived++;
      dispatch(next);
      next += exponential(arrivals, 1 / rate);
    } else {
      events.pop();
      latencies.push(done!.at - done!.arrived);
      if (done!.fast) freeFast++;
      else freeSlow++;
      dispatch(done!.at);
    }
    if (head > 4096 && head * 2 > queue.length) (queue.splice(0, head), (head = 0));
  }
  const measured = latencies.slice(Math.floor(TASKS / 10)).sort((a, b) => a - b);
  const mean = measured.reduce((s, x) => s + x, 0) / measured.length;
  return { mean: mean / 1000, p99: measured[Math.floor(0.99 * measured.length)]! / 1000, slowShare: slow / TASKS };
}

console.log(
  `idealized two-tier queue, ${WORKERS} + ${WORKERS} workers: ${TASKS} tasks × ${SEEDS} seeds × f ∈ {${SLOWDOWNS.join(', ')}}; mean / p99 s (× RANDOM's)`,
);
for (const load of LOADS) {
  const rows = POLICIES.map((policy) => {
    let mean = 0;
    let p99 = 0;
    let slowShare = 0;
    for (const f of SLOWDOWNS) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = run(load, f, policy, seed);
        mean += r.mean / (SLOWDOWNS.length * SEEDS);
        p99 += r.p99 / (SLOWDOWNS.length * SEEDS);
        slowShare += r.slowShare / (SLOWDOWNS.length * SEEDS);
      }
    }
    return { policy, mean, p99, slowShare };
  });
  const base = rows[0]!;
  console.log(
    `${Math.round(load * 100)}% load: ` +
      rows
        .map(
          (r) =>
            `${r.policy} ${r.mean.toFixed(2)} / ${r.p99.toFixed(2)} (×${(r.mean / base.mean).toFixed(2)} / ×${(r.p99 / base.p99).toFixed(2)}, slow ${(100 * r.slowShare).toFixed(1)}%)`,
        )
        .join('; '),
  );
}
