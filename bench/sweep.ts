/**
 * How long does one coordination sweep take with 10,000 agents, and what do routingScore and
 * record cost? Target: one sweep with 10,000 agents under 5 ms.
 *
 * Sweep scenarios (rebuilt before every timed run, so each run has the same work to do), 10,000
 * agents × 6 signal types × HISTORY signals each, then the clock moves 30 s:
 * - "half the agents expired": odd agents' signals all have a 10 s TTL (all expire, the agent is
 *   forgotten), even agents' 10 min (all live).
 * - "+ half of live history": as above, but the first half of each even agent's history has a 10 s
 *   TTL too, so half of every remaining agent's history must be dropped: the worst case.
 * - "steady": the same 10,000 agents again right after, with nothing left to remove.
 * Timed runs follow WARMUP_RUNS untimed ones; the process's very first sweep (interpreted/baseline
 * code, as a sweep every few minutes may well run) is printed on its own line.
 *
 * routingScore: 10,000 agents with all six types live on the system clock; one "decision" scores
 * 1,000 (or 10,000) candidates in a loop, timed with process.hrtime.bigint(). Two modes: the
 * ScoreSource call as is (one clock read per candidate), and with `now` read once per decision.
 *
 * Run: npm run bench:sweep   (writes bench/results/sweep.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationService } from '../src/coordination/coordination-service.js';
import type { SweepResult } from '../src/coordination/sweeper.js';
import { sequentialIds, uuid } from '../src/ids.js';
import { seededRandom } from '../src/random.js';
import { SIGNAL_TYPES } from '../src/schemas/common.js';
import { systemClock } from '../src/time/clock.js';
import { VirtualClock } from '../src/time/virtual-clock.js';

const AGENTS = 10_000;
const HISTORY = 10;
const SWEEP_RUNS = 60;
/** Untimed sweeps first, so the timed ones run optimised code (the very first one is reported apart). */
const WARMUP_RUNS = 3;
const STEADY_RUNS = 300;
const TARGET_SWEEP_MS = 5;
const TARGET_SCORE_P99_US = 100;

const ids = Array.from({ length: AGENTS }, (_, i) => `agent-${i.toString().padStart(5, '0')}`);

interface Dist {
  runs: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

function dist(samples: number[]): Dist {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { runs: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1]!), mean: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

function scenario(liveHistoryExpires: boolean): { clock: VirtualClock; service: CoordinationService } {
  const clock = new VirtualClock();
  const service = new CoordinationService({ clock, ids: sequentialIds('s') }, { maxHistorySize: 100 });
  const random = seededRandom(42);
  for (let a = 0; a < AGENTS; a++) {
    const agentId = ids[a]!;
    for (let h = 0; h < HISTORY; h++) {
      const ttlSeconds = a % 2 === 1 || (liveHistoryExpires && h < HISTORY / 2) ? 10 : 600;
      for (const signalType of SIGNAL_TYPES) service.record({ agentId, signalType, value: random.next(), ttlSeconds });
    }
  }
  clock.advance(30_000);
  return { clock, service };
}

function benchSweep() {
  const timed = (liveHistoryExpires: boolean, steady?: number[]) => {
    const runs: number[] = [];
    let work: Omit<SweepResult, 'durationMs'> | undefined;
    for (let i = 0; i < WARMUP_RUNS; i++) scenario(liveHistoryExpires).service.sweep();
    for (let run = 0; run < SWEEP_RUNS; run++) {
      const { service } = scenario(liveHistoryExpires);
      const { durationMs, ...rest } = service.sweep();
      runs.push(durationMs);
      work = rest;
      if (steady && run === SWEEP_RUNS - 1) for (let i = 0; i < STEADY_RUNS; i++) steady.push(service.sweep().durationMs);
    }
    return { ...dist(runs), work: work! };
  };
  const steady: number[] = [];
  const firstSweepMs = Math.round(scenario(false).service.sweep().durationMs * 1000) / 1000; // JIT-cold
  const halfAgents = timed(false, steady);
  const worstCase = timed(true);
  return { firstSweepMs, halfAgents, worstCase, steady: dist(steady) };
}

function benchRoutingScore() {
  const service = new CoordinationService({ clock: systemClock, ids: sequentialIds('s') }, { signalTtlMs: 3_600_000 });
  const random = seededRandom(7);
  for (const agentId of ids)
    for (const signalType of SIGNAL_TYPES) service.record({ agentId, signalType, value: random.next(), confidence: 0.5 + random.next() / 2 });
  const rows: Array<{ candidates: number; mode: string } & Dist & { perCallNs: number }> = [];
  let sink = 0;
  for (const candidates of [1_000, 10_000]) {
    const list = ids.slice(0, candidates);
    const decisions = candidates === 1_000 ? 20_000 : 2_000;
    for (const mode of ['clock read per call', 'now passed once'] as const) {
      const samples: number[] = [];
      for (let d = 0; d < decisions + 200; d++) {
        const t0 = process.hrtime.bigint();
        if (mode === 'now passed once') {
          const now = systemClock.now();
          for (let i = 0; i < list.length; i++) sink += service.routingScore(list[i]!, now);
        } else {
          for (let i = 0; i < list.length; i++) sink += service.routingScore(list[i]!);
        }
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        if (d >= 200) samples.push(us);
      }
      const dd = dist(samples);
      rows.push({ candidates, mode, ...dd, perCallNs: Math.round((dd.mean * 1000) / candidates) });
    }
  }
  if (sink < 0) console.log(sink);
  return rows;
}

function benchRecord() {
  const out: Record<string, number> = {};
  for (const [label, idGen] of [
    ['sequentialIds', sequentialIds('s')],
    ['uuid', uuid],
  ] as const) {
    const clock = new VirtualClock();
    const service = new CoordinationService({ clock, ids: idGen });
    const n = 1_000_000;
    const random = seededRandom(1);
    const inputs = Array.from({ length: 10_000 }, (_, i) => ({ agentId: ids[i % AGENTS]!, signalType: SIGNAL_TYPES[i % 6]!, value: random.next() }));
    for (let i = 0; i < 100_000; i++) service.record(inputs[i % inputs.length]!); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      service.record(inputs[i % inputs.length]!);
      if ((i & 1023) === 0) clock.advance(1);
    }
    out[label] = Math.round(n / ((performance.now() - t0) / 1000));
  }
  return out;
}

const sweep = benchSweep();
const routing = benchRoutingScore();
const record = benchRecord();

console.log(`coordination sweep — ${AGENTS} agents × ${SIGNAL_TYPES.length} types × ${HISTORY} history, node ${process.version}, ${os.cpus().length} CPUs`);
console.log('');
console.log('sweep (ms)                                  runs     p50     p99     max   removed signals / history / agents');
for (const [label, d] of [
  ['half the agents expired', sweep.halfAgents],
  ['+ half of live history (worst case)', sweep.worstCase],
] as const) {
  const w = d.work;
  console.log(
    `${label.padEnd(42)}${String(d.runs).padStart(6)}${d.p50.toFixed(3).padStart(8)}${d.p99.toFixed(3).padStart(8)}${d.max.toFixed(3).padStart(8)}   ${w.removedSignals} / ${w.removedHistory} / ${w.forgottenAgents}`,
  );
}
const st = sweep.steady;
console.log(
  `${'steady (nothing to remove)'.padEnd(42)}${String(st.runs).padStart(6)}${st.p50.toFixed(3).padStart(8)}${st.p99.toFixed(3).padStart(8)}${st.max.toFixed(3).padStart(8)}`,
);
console.log(`first sweep in the process (JIT-cold, half the agents expired): ${sweep.firstSweepMs.toFixed(3)} ms`);
console.log('');
console.log('routingScore loop (µs/decision)                      runs     p50     p99     max   ns/call');
for (const r of routing) {
  console.log(
    `${`${r.candidates} candidates, ${r.mode}`.padEnd(51)}${String(r.runs).padStart(6)}${r.p50.toFixed(1).padStart(8)}${r.p99.toFixed(1).padStart(8)}${r.max.toFixed(1).padStart(8)}${String(r.perCallNs).padStart(10)}`,
  );
}
console.log('');
console.log(
  `record(): ${Object.entries(record)
    .map(([k, v]) => `${v.toLocaleString('en-US')} signals/s (${k})`)
    .join(', ')}`,
);

const sweepPass = sweep.halfAgents.p99 < TARGET_SWEEP_MS;
const score1000 = routing.filter((r) => r.candidates === 1_000);
const scorePass = Object.fromEntries(score1000.map((r) => [r.mode, r.p99 < TARGET_SCORE_P99_US]));
console.log(`\ntargets: sweep (half the agents expired) p99 < ${TARGET_SWEEP_MS} ms: ${sweepPass ? 'PASS' : 'FAIL'} (${sweep.halfAgents.p99} ms)`);
for (const r of score1000)
  console.log(`         routingScore × 1,000 p99 < ${TARGET_SCORE_P99_US} µs, ${r.mode}: ${scorePass[r.mode] ? 'PASS' : 'FAIL'} (${r.p99} µs)`);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'sweep.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      bench: 'sweep',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}` },
      scenario: { agents: AGENTS, typesPerAgent: SIGNAL_TYPES.length, historyPerType: HISTORY, clockAdvanceMs: 30_000 },
      sweepMs: sweep,
      routingScoreUs: routing,
      recordPerSecond: record,
      targets: {
        sweepP99Ms: { scenario: 'half the agents expired', target: TARGET_SWEEP_MS, actual: sweep.halfAgents.p99, pass: sweepPass },
        routingScore1000P99Us: { target: TARGET_SCORE_P99_US, actual: Object.fromEntries(score1000.map((r) => [r.mode, r.p99])), pass: scorePass },
      },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
