/**
 * How fast does the LeaseManager grant and end leases, in process (no sockets)?
 * No target in the issue; this measures the lease hot paths so a regression shows.
 *
 * Phases, each on a fresh LeaseManager on the system clock (expiry timers are real, unref'd):
 * - uncontended: acquire + release of an exclusive lease on 1,000 rotating resources;
 * - shared: 100 agents hold shared leases on one resource; each op is one more acquire + release;
 * - handoff: two agents pass one exclusive resource through the queue (holder releases, the waiter
 *   is granted, its promise resolves, it queues again): the full contended path, conflict
 *   accounting included.
 * Per-op latency is timed in batches of 100 (timer overhead would dominate single ops).
 *
 * Run: npm run bench:leases   (writes bench/results/leases.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sequentialIds } from '../src/ids.js';
import { silentLog } from '../src/log.js';
import { LeaseManager } from '../src/resources/lease-manager.js';
import type { Grant } from '../src/resources/types.js';
import { systemClock } from '../src/time/clock.js';

const OPS = 200_000;
const BATCH = 100;

const fresh = (): LeaseManager => new LeaseManager({ clock: systemClock, ids: sequentialIds('L'), log: silentLog }, { maxLeasesPerAgent: 1_000_000 });

const grantNow = (g: Grant | Promise<Grant>): Grant => {
  if (g instanceof Promise) throw new Error('expected an immediate grant');
  return g;
};

interface Row {
  phase: string;
  ops: number;
  opsPerSecond: number;
  batchMeanUs: { p50: number; p99: number };
}

/** Run `op` OPS times in batches; returns throughput and per-op mean within batches. */
async function measure(phase: string, op: (i: number) => void | Promise<void>): Promise<Row> {
  const perOp: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i += BATCH) {
    const t0 = process.hrtime.bigint();
    for (let j = i; j < i + BATCH; j++) {
      const r = op(j);
      if (r) await r;
    }
    perOp.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  perOp.sort((a, b) => a - b);
  const at = (q: number): number => Number(perOp[Math.ceil(q * perOp.length) - 1]!.toFixed(3));
  return { phase, ops: OPS, opsPerSecond: Math.round(OPS / seconds), batchMeanUs: { p50: at(0.5), p99: at(0.99) } };
}

async function main(): Promise<void> {
  const rows: Row[] = [];

  let leases = fresh();
  rows.push(
    await measure('uncontended exclusive acquire + release (1,000 resources)', (i) => {
      const g = grantNow(leases.acquire({ agentId: 'a', sessionId: 's', resource: `r${i % 1000}`, mode: 'exclusive', ttlMs: 60_000 }));
      leases.release('a', g.leaseId);
    }),
  );

  leases = fresh();
  for (let i = 0; i < 100; i++) grantNow(leases.acquire({ agentId: `h${i}`, sessionId: `s${i}`, resource: 'hot', mode: 'shared', ttlMs: 600_000 }));
  rows.push(
    await measure('shared acquire + release beside 100 shared holders', () => {
      const g = grantNow(leases.acquire({ agentId: 'a', sessionId: 's', resource: 'hot', mode: 'shared', ttlMs: 60_000 }));
      leases.release('a', g.leaseId);
    }),
  );

  leases = fresh();
  const ask = (agent: string): Grant | Promise<Grant> =>
    leases.acquire({ agentId: agent, sessionId: agent, resource: 'baton', mode: 'exclusive', ttlMs: 60_000, waitMs: 60_000 });
  let holder = { agent: 'a', grant: grantNow(ask('a')) };
  let waiting = { agent: 'b', grant: ask('b') as Promise<Grant> };
  rows.push(
    await measure('handoff through the queue (release → waiter granted → re-queue)', async () => {
      leases.release(holder.agent, holder.grant.leaseId);
      const next = { agent: waiting.agent, grant: await waiting.grant };
      waiting = { agent: holder.agent, grant: ask(holder.agent) as Promise<Grant> };
      holder = next;
    }),
  );
  const conflicts = leases.conflicts(1).stats;
  waiting.grant.catch(() => undefined); // the last waiter is answered SHUTTING_DOWN by stop()
  leases.stop();

  for (const r of rows)
    console.log(`${r.phase}: ${r.opsPerSecond.toLocaleString('en')} ops/s, per op p50 ${r.batchMeanUs.p50} µs, p99 ${r.batchMeanUs.p99} µs (batch means)`);
  console.log(`handoff conflicts: ${conflicts.total} total, resolution rate ${conflicts.resolutionRate}, wait p99 ${conflicts.waitMs.p99} ms`);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'leases.json');
  mkdirSync(dirname(out), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, rows, handoffConflicts: conflicts }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
