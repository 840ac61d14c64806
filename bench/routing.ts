/**
 * Does RIPPLE_COORDINATION route better than the classic load balancers? A deterministic
 * discrete-event simulation (seeded randomness, virtual clock) drives the real
 * CoordinationService, AgentRouter and PoolService with simulated agents whose true service
 * times, capacities and failures are hidden from the router; the agents report signals
 * (noisy, delayed, sometimes wrong) the way real agents would. See bench/sim/ for the model.
 *
 * Scenarios (each with a load sweep): 1 heterogeneous, 2 time-varying, 3 stale signals with
 * 8 routers (refresh period swept), 4 misleading and failing agents, 5 overload ramp and flash
 * crowd (also scores predictOverload), 6 homogeneous control, 7 two tiers (fast and 3–5× slower,
 * 60–90% load). Strategies: ROUND_ROBIN, RANDOM, LEAST_LOADED, P2C, PEAK_EWMA, RIPPLE_COORDINATION,
 * ORACLE (clairvoyant, greedy among free agents), ORACLE_WAIT (clairvoyant, may wait for a busy
 * agent) and ORACLE_WAIT_BLIND (the same without the task's size), bench only; one the router does
 * not know is reported as skipped.
 *
 * Run: npm run bench:routing [-- --quick] [--seeds N] [--tasks N] [--scenario 1,3] [--strategy RIPPLE_COORDINATION,ORACLE] [--jobs N] [--no-write]
 * Writes bench/results/routing.json and bench/results/routing-s<K>.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { aggregate } from './sim/aggregate.js';
import { ACCURACY_TOLERANCE, type RunSpec } from './sim/run.js';
import { runAll } from './sim/runner.js';
import { predictionTable, resultsTable, targetsTable } from './sim/report.js';
import { DEADLINE_MS, FLEET_SIZE, MEAN_WORK_MS, SCENARIOS, TIMEOUT_MS, WARMUP_FRACTION, WORK_SIGMA, DEFAULT_REPORT } from './sim/scenarios.js';
import { STRATEGIES, unavailableStrategies, type BenchStrategy } from './sim/strategies.js';
import { scenarioChart } from './sim/svg.js';
import { checkTargets } from './sim/targets.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    tasks: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    strategy: { type: 'string', multiple: true },
    jobs: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const positive = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
};
const list = (raw: string[] | undefined): string[] | undefined =>
  raw
    ?.flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

const quick = args.quick;
const seeds = positive('seeds', args.seeds, quick ? 3 : 10);
const tasks = positive('tasks', args.tasks, quick ? 1500 : 4000);
const jobs = positive('jobs', args.jobs, Math.max(1, Math.min(4, os.availableParallelism())));
const scenarioIds = (list(args.scenario) ?? SCENARIOS.map((s) => String(s.id))).map(Number);
for (const id of scenarioIds) {
  if (!SCENARIOS.some((s) => s.id === id)) {
    console.error(`--scenario must be among ${SCENARIOS.map((s) => s.id).join(', ')}, got ${id}`);
    process.exit(2);
  }
}
const wanted = list(args.strategy) ?? [...STRATEGIES];
for (const name of wanted) {
  if (!(STRATEGIES as readonly string[]).includes(name)) {
    console.error(`--strategy must be among ${STRATEGIES.join(', ')}, got ${name}`);
    process.exit(2);
  }
}

// Strategies this build of the router cannot run are skipped, not fatal.
const skipped = new Map<BenchStrategy, string>();
for (const [name, reason] of unavailableStrategies()) skipped.set(name, `not available (${reason})`);
for (const name of STRATEGIES) if (!wanted.includes(name) && !skipped.has(name)) skipped.set(name, 'not selected');
const strategies = STRATEGIES.filter((s) => !skipped.has(s));

const specs: RunSpec[] = [];
for (const sc of SCENARIOS.filter((s) => scenarioIds.includes(s.id))) {
  sc.variants.forEach((_, variant) => {
    for (const strategy of strategies) for (let seed = 1; seed <= seeds; seed++) specs.push({ scenario: sc.id, variant, strategy, seed, tasks });
  });
}

console.log(`routing benchmark: ${quick ? 'quick' : 'full'} — ${specs.length} runs (${seeds} seeds × ~${tasks} tasks), ${jobs} worker thread(s)`);
for (const [name, reason] of skipped) console.log(`  ${name}: skipped: ${reason}`);

const started = performance.now();
let lastShown = 0;
const results = await runAll(specs, jobs, (done) => {
  const now = performance.now();
  const progress = `${done}/${specs.length} runs, ${((now - started) / 1000).toFixed(0)} s`;
  if (process.stderr.isTTY) {
    if (now - lastShown > 500 || done === specs.length) process.stderr.write(`\r  ${progress}`);
  } else if (Math.floor((10 * done) / specs.length) > Math.floor((10 * (done - 1)) / specs.length)) {
    process.stderr.write(`  ${progress}\n`); // every 10% in a log
  }
  if (now - lastShown > 500) lastShown = now;
});
if (process.stderr.isTTY) process.stderr.write('\n');
const wallSeconds = (performance.now() - started) / 1000;

const unaccounted = results.filter((r) => r.submitted !== r.completed + r.failed + r.cancelled);
if (unaccounted.length > 0)
  console.log(`WARNING: ${unaccounted.length} runs lost track of tasks: ${unaccounted.map((r) => JSON.stringify(r.spec)).join(', ')}`);

const variants = aggregate(results, skipped, scenarioIds);
const targets = checkTargets(variants);
console.log(resultsTable(variants));
console.log(predictionTable(variants, 'RIPPLE_COORDINATION'));
console.log(targetsTable(targets));
console.log(`\n${specs.length} runs in ${wallSeconds.toFixed(1)} s`);

if (!args['no-write']) {
  mkdirSync(RESULTS, { recursive: true });
  const report = {
    benchmark: 'routing',
    mode: quick ? 'quick' : 'full',
    config: { seeds, tasksPerRun: tasks, scenarios: scenarioIds, strategies, skipped: Object.fromEntries(skipped) },
    model: {
      fleetSize: FLEET_SIZE,
      meanWorkMs: MEAN_WORK_MS,
      workSigma: WORK_SIGMA,
      attemptTimeoutMs: TIMEOUT_MS,
      sloDeadlineMs: DEADLINE_MS,
      warmupFraction: WARMUP_FRACTION,
      signals: DEFAULT_REPORT,
      accuracyTolerance: ACCURACY_TOLERANCE,
      latency: 'end to end, submit → COMPLETED, completed tasks submitted after warm-up; ms',
    },
    scenarios: SCENARIOS.filter((s) => scenarioIds.includes(s.id)).map((s) => ({ id: s.id, key: s.key, title: s.title, variants: s.variants })),
    variants,
    targets,
    runs: specs.length,
    wallSeconds: Math.round(wallSeconds),
  };
  // Six significant digits are plenty and keep the file diffable.
  const json = JSON.stringify(
    report,
    (_k, v: unknown) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v),
    2,
  );
  writeFileSync(join(RESULTS, 'routing.json'), json + '\n');
  for (const sc of SCENARIOS.filter((s) => scenarioIds.includes(s.id))) {
    writeFileSync(join(RESULTS, `routing-${sc.key}.svg`), scenarioChart(variants.filter((v) => v.scenario === sc.id)));
  }
  console.log(`wrote ${join('bench', 'results', 'routing.json')} and routing-s*.svg`);
}
