/**
 * How much does the daemon allocate per coordination.signal, and how much heap does it keep per
 * live signal? Garbage per signal sets how often the young generation is collected and what gets
 * promoted; retained heap sets how long a major GC takes. Both feed the p99 of bench:signals,
 * but unlike CPU time on a shared 2-core machine they can be measured exactly, so this bench is
 * the one to compare changes with.
 *
 * Phases (one process; the real Daemon wiring, built from the same config the binary reads):
 * - engine: `engine.handleText` in-process with the request texts a client sends (the same
 *   payloads as bench:signals), reply text made but not sent: the RPC engine, validation, the
 *   coordination service, metrics.
 * - socket: the daemon listening on port 0 and a client in a worker thread (its own V8 heap, so
 *   its garbage is not counted) sending single-signal requests over real WebSocket: adds ws
 *   framing and the Buffer → string and string → frame conversions.
 * - retained: a fresh daemon filled in-process with the live set of bench:signals' latency phase
 *   (600,000 signals over 10,000 agents, batches of 1,000), then collected: heap kept per agent
 *   and per signal, and memory kept outside the heap (typed arrays' backing stores).
 * Allocation is counted with v8.GCProfiler (used-heap growth plus everything collections freed).
 *
 * Run: npm run bench:alloc [-- --signals=100000 --sites]   (writes bench/results/alloc-signals.json)
 *   --signals=N  signals per measured phase (default 100,000)
 *   --sites      also print the top allocation sites of the engine and socket phases (sampling heap
 *                profiler; a second run of each phase, after the measured one)
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config.js';
import { Daemon } from '../src/daemon.js';
import type { RpcPeer } from '../src/rpc/peer.js';
import { RpcPeer as Peer } from '../src/rpc/peer.js';
import type { Session } from '../src/rpc/session.js';
import { AllocationSites, AllocMeter } from './lib/alloc-meter.js';
import { machineInfo } from './lib/machine.js';
import { batchParams, requestText, singleParams } from './lib/signal-payloads.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results', 'alloc-signals.json');

const args = process.argv.slice(2);
const signalsArg = args.find((a) => a.startsWith('--signals='));
const SIGNALS = signalsArg ? Number(signalsArg.slice('--signals='.length)) : 100_000;
const SITES = args.includes('--sites');
if (!(SIGNALS > 0) || args.some((a) => a !== '--sites' && !a.startsWith('--signals='))) {
  console.error('usage: node --expose-gc --import tsx bench/alloc-signals.ts [--signals=N] [--sites]');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc (npm run bench:alloc does)');
  process.exit(2);
}

const AGENTS = 10_000;
const WARMUP = 50_000;
const POOL = 1 << 16;
const RETAINED = { signals: 600_000, batchSize: 1_000 };

/** The daemon as bench:signals runs it (default settings, log level warn: nothing per request). */
function makeDaemon(): Daemon {
  return new Daemon(loadConfig({ COORDD_PORT: '0', COORDD_LOG_LEVEL: 'warn' }));
}

/** A session shaped like the one the daemon makes per connection; replies are dropped. */
function operatorSession(daemon: Daemon): Session & { peer: RpcPeer } {
  const log = daemon.logger.child({ connectionId: 'alloc' });
  return { id: 'alloc', role: 'operator', log, remoteAddress: undefined, peer: new Peer(() => {}, 30_000), agentId: undefined };
}

interface PhaseResult {
  signals: number;
  allocatedBytes: number;
  bytesPerSignal: number;
  promotedBytes: number;
  promotedPerSignal: number;
  gcs: number;
  scavenges: number;
  externalGrowthBytes: number;
}

function perSignal(signals: number, r: ReturnType<AllocMeter['stop']>): PhaseResult {
  return { signals, ...r, bytesPerSignal: r.allocatedBytes / signals, promotedPerSignal: r.promotedBytes / signals };
}

/** Drive handleText synchronously (coordination.signal answers synchronously). */
function drive(daemon: Daemon, session: Session & { peer: RpcPeer }, texts: string[], from: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const out = daemon.engine.handleText(texts[(from + i) % texts.length]!, session);
    if (typeof out !== 'string') throw new Error(`expected a synchronous reply, got ${typeof out}`);
    if (out.includes('"error"')) throw new Error(`error reply: ${out}`);
  }
}

type Sites = Awaited<ReturnType<AllocationSites['stop']>>;

async function enginePhase(): Promise<{ result: PhaseResult; sites?: Sites }> {
  const daemon = makeDaemon();
  const session = operatorSession(daemon);
  const params = singleParams(POOL, AGENTS, 1);
  const texts = params.map((p, i) => requestText(i, p));
  drive(daemon, session, texts, 0, WARMUP);
  gc!();
  const meter = new AllocMeter();
  meter.start();
  drive(daemon, session, texts, WARMUP, SIGNALS);
  const result = perSignal(SIGNALS, meter.stop());
  let sites: Sites | undefined;
  if (SITES) {
    const sampler = new AllocationSites();
    await sampler.start();
    drive(daemon, session, texts, WARMUP + SIGNALS, SIGNALS);
    sites = await sampler.stop();
  }
  return { result, sites };
}

/** The client, in a worker: closed loop over `connections` sockets, `window` requests in flight each. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require('ws');
const { url, texts, connections, window } = workerData;
let next = 0;
async function run(count) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  let sent = 0, received = 0, errors = 0;
  await new Promise((resolve) => {
    for (const ws of sockets) {
      const send = () => { if (sent < count) { sent++; ws.send(texts[next++ % texts.length]); } };
      ws.on('message', (data) => {
        if (data.toString().includes('"error"')) errors++;
        if (++received === count) resolve();
        else send();
      });
      for (let i = 0; i < window; i++) send();
    }
  });
  for (const ws of sockets) ws.close(1000);
  return errors;
}
parentPort.on('message', async (m) => {
  if (m.connect) parentPort.postMessage({ connected: true, errors: await run(m.count) });
});
`;

async function socketPhase(): Promise<{ result: PhaseResult; sites?: Sites }> {
  const daemon = makeDaemon();
  const { url } = await daemon.start();
  const params = singleParams(POOL, AGENTS, 2);
  const texts = params.map((p, i) => requestText(i, p));
  const worker = new Worker(CLIENT, {
    eval: true,
    workerData: { url: url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1'), texts, connections: 4, window: 128 },
  });
  const run = async (count: number): Promise<void> => {
    worker.postMessage({ connect: true, count });
    const [reply] = (await once(worker, 'message')) as [{ errors: number }];
    if (reply.errors > 0) throw new Error(`${reply.errors} error replies`);
  };
  try {
    await run(WARMUP);
    gc!();
    const meter = new AllocMeter();
    meter.start();
    await run(SIGNALS);
    const result = perSignal(SIGNALS, meter.stop());
    let sites: Sites | undefined;
    if (SITES) {
      const sampler = new AllocationSites();
      await sampler.start();
      await run(SIGNALS);
      sites = await sampler.stop();
    }
    return { result, sites };
  } finally {
    await worker.terminate();
    await daemon.stop();
  }
}

async function retainedPhase(): Promise<Record<string, number>> {
  const heap = (): { used: number; external: number } => {
    gc!();
    gc!();
    const s = v8.getHeapStatistics();
    return { used: s.used_heap_size, external: process.memoryUsage().arrayBuffers };
  };
  const daemon = makeDaemon();
  const session = operatorSession(daemon);
  const before = heap();
  const batches = RETAINED.signals / RETAINED.batchSize;
  let accepted = 0;
  for (let b = 0; b < batches; b++) {
    // One batch text at a time, so the payloads themselves are never part of the heap measured.
    const [params] = batchParams(1, RETAINED.batchSize, AGENTS, 1_000 + b);
    const out = await daemon.engine.handleText(requestText(b, params!), session);
    accepted += (JSON.parse(out!) as { result: { accepted: number } }).result.accepted;
  }
  const after = heap();
  const agents = daemon.agentsTracked();
  const heapBytes = after.used - before.used;
  const externalBytes = after.external - before.external;
  return {
    signals: accepted,
    agents,
    heapBytes,
    heapBytesPerAgent: heapBytes / agents,
    heapBytesPerSignal: heapBytes / accepted,
    externalBytes,
    externalBytesPerAgent: externalBytes / agents,
    usedHeapBytesAfter: after.used,
  };
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`coordd allocation bench — ${SIGNALS.toLocaleString('en-US')} signals per phase, node ${machine.node}`);
  const engine = await enginePhase();
  gc!();
  const socket = await socketPhase();
  gc!();
  const retained = await retainedPhase();

  const row = (name: string, r: PhaseResult): string =>
    `  ${name.padEnd(8)} ${r.bytesPerSignal.toFixed(0).padStart(6)} B/signal, promoted ${r.promotedPerSignal.toFixed(1).padStart(5)} B/signal  (${mib(r.allocatedBytes)} in ${r.gcs} GCs, ${r.scavenges} scavenges; external +${kib(r.externalGrowthBytes)})`;
  console.log('\nallocated on the V8 heap per single-signal request, and promoted to the old generation by scavenges:');
  console.log(row('engine', engine.result));
  console.log(row('socket', socket.result));
  console.log(`\nretained after ${retained.signals!.toLocaleString('en-US')} signals over ${retained.agents!.toLocaleString('en-US')} agents (after GC):`);
  console.log(
    `  heap      ${mib(retained.heapBytes!)}  = ${retained.heapBytesPerAgent!.toFixed(0)} B/agent, ${retained.heapBytesPerSignal!.toFixed(1)} B/signal`,
  );
  console.log(`  off-heap  ${mib(retained.externalBytes!)}  = ${retained.externalBytesPerAgent!.toFixed(0)} B/agent (typed arrays' backing stores)`);
  for (const [name, sites] of [
    ['engine', engine.sites],
    ['socket', socket.sites],
  ] as const) {
    if (sites === undefined) continue;
    console.log(`\ntop allocation sites, ${name} phase (sampled):`);
    for (const s of sites) console.log(`  ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.site}`);
  }
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ bench: 'alloc-signals', machine, signals: SIGNALS, engine: engine.result, socket: socket.result, retained, sites: { engine: engine.sites, socket: socket.sites } }, null, 2)}\n`,
  );
  console.log(`\nwrote ${RESULTS}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
