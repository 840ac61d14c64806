/**
 * The measuring client, run as its own process (forked by bench/signals.ts with an IPC channel):
 * it never shares a process, or an event loop, with the server it measures. It takes jobs from
 * the parent one at a time and answers with their results; the same code drives coordd and the
 * bare echo server.
 */
import { once } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type {
  ClosedLoopJob,
  ClosedLoopResult,
  ErrorTally,
  FromGenerator,
  GcPauses,
  LoadJob,
  LoadResult,
  OpenLoopJob,
  OpenLoopResult,
  PrefillJob,
  PrefillResult,
  ToGenerator,
} from './load-protocol.js';
import { batchParams, requestText, singleParams } from './signal-payloads.js';
import { summarize } from './stats.js';

const SINGLE_POOL = 1 << 16;
const BATCH_POOL = 16;
const MAX_ERROR_SAMPLES = 5;
const PREFILL_TIMEOUT_MS = 120_000;

function post(message: FromGenerator): void {
  process.send?.(message);
}

async function connect(url: string, onUnexpectedClose: (why: string) => void): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', (err) => onUnexpectedClose(`socket error: ${err.message}`));
  await once(ws, 'open');
  ws.on('close', (code, reason) => onUnexpectedClose(`socket closed by server: ${code} ${reason.toString()}`));
  return ws;
}

/** Close every socket and wait for the closing handshakes (bounded). */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.race([
    Promise.all(
      sockets.map((ws) => {
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => {});
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = once(ws, 'close');
        ws.close(1000);
        return closed;
      }),
    ),
    sleep(2_000),
  ]);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

function tally(errors: ErrorTally, what: string): void {
  errors.count++;
  if (errors.samples.length < MAX_ERROR_SAMPLES) errors.samples.push(what.length > 300 ? `${what.slice(0, 300)}…` : what);
}

/**
 * Check one reply and return the signals it accepted (0 when it is not a good result).
 * Single: a result object. Batch: a result whose `accepted` is the whole batch and `rejected` empty.
 */
function checkReply(text: string, batchSize: number | undefined, errors: ErrorTally): { id: unknown; signals: number } {
  let msg: { id?: unknown; result?: { accepted?: unknown; rejected?: unknown[] } | null; error?: unknown };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    tally(errors, `unparseable frame: ${text}`);
    return { id: undefined, signals: 0 };
  }
  if (msg.error !== undefined || typeof msg.result !== 'object' || msg.result === null) {
    tally(errors, text);
    return { id: msg.id, signals: 0 };
  }
  if (batchSize === undefined) return { id: msg.id, signals: 1 };
  const accepted = typeof msg.result.accepted === 'number' ? msg.result.accepted : 0;
  const rejected = Array.isArray(msg.result.rejected) ? msg.result.rejected.length : 0;
  if (accepted !== batchSize || rejected > 0) tally(errors, `batch of ${batchSize}: accepted ${accepted}, rejected ${rejected}: ${text.slice(0, 200)}`);
  return { id: msg.id, signals: accepted };
}

/** Counts this process's GC pauses from start() to stop(). */
class GcWatch {
  private readonly pauses: GcPauses = { count: 0, totalMs: 0, maxMs: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.pauses.count++;
      this.pauses.totalMs += e.duration;
      if (e.duration > this.pauses.maxMs) this.pauses.maxMs = e.duration;
    }
  });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): GcPauses {
    this.observer.disconnect();
    return { ...this.pauses };
  }
}

function cpuPercent(start: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / wallMs) * 100;
}

async function runClosed(job: ClosedLoopJob): Promise<ClosedLoopResult> {
  const batchSize = job.kind === 'batch' ? job.batchSize : undefined;
  const pool = job.kind === 'single' ? singleParams(SINGLE_POOL, job.agents, 1) : batchParams(BATCH_POOL, job.batchSize, job.agents, 2);
  const errors: ErrorTally = { count: 0, samples: [] };
  let failure: string | undefined;
  const sockets = await Promise.all(Array.from({ length: job.connections }, () => connect(job.url, (why) => (failure ??= why))));

  let counting = false;
  let stopping = false;
  let replies = 0;
  let signals = 0;
  let inFlight = 0;
  let poolIndex = 0;
  let drained: (() => void) | undefined;

  sockets.forEach((ws, c) => {
    let nextId = c * 1_000_000_000 + 1;
    const send = (): void => {
      ws.send(requestText(nextId++, pool[poolIndex++ % pool.length]!));
      inFlight++;
    };
    ws.on('message', (data: Buffer) => {
      inFlight--;
      const { signals: n } = checkReply(data.toString(), batchSize, errors);
      if (counting) {
        replies++;
        signals += n;
      }
      if (!stopping) send();
      else if (inFlight === 0) drained?.();
    });
    for (let i = 0; i < job.window; i++) send();
  });

  await sleep(job.warmupMs);
  counting = true;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const gc = new GcWatch();
  gc.start();
  post({ type: 'measuring', phase: 'start' });
  await sleep(job.durationMs);
  counting = false;
  const measuredMs = performance.now() - started;
  post({ type: 'measuring', phase: 'end' });
  const clientGc = gc.stop();
  const clientCpuPercent = cpuPercent(cpu, measuredMs);
  stopping = true;
  if (inFlight > 0) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(10_000)]);
  if (inFlight > 0) tally(errors, `${inFlight} requests never answered`);
  await closeAll(sockets);
  if (failure) throw new Error(`${job.label}: ${failure}`);

  const repliesPerSec = (replies / measuredMs) * 1000;
  return {
    mode: 'closed',
    label: job.label,
    measuredMs,
    replies,
    repliesPerSec,
    signals,
    signalsPerSec: (signals / measuredMs) * 1000,
    meanLatencyMs: repliesPerSec > 0 ? ((job.connections * job.window) / repliesPerSec) * 1000 : Number.NaN,
    errors,
    clientCpuPercent,
    clientGc,
  };
}

async function runOpen(job: OpenLoopJob): Promise<OpenLoopResult> {
  // Collect what earlier phases left in the client's heap now, so a major GC of ours does not land
  // inside the measured window (the daemon is not touched; latency still counts from the schedule).
  (globalThis as { gc?: () => void }).gc?.();
  const pool = singleParams(SINGLE_POOL, job.agents, 3);
  const errors: ErrorTally = { count: 0, samples: [] };
  let failure: string | undefined;
  const sockets = await Promise.all(Array.from({ length: job.connections }, () => connect(job.url, (why) => (failure ??= why))));

  const total = Math.round((job.rate * (job.warmupMs + job.durationMs)) / 1000);
  const firstMeasured = Math.round((job.rate * job.warmupMs) / 1000);
  const intervalMs = 1000 / job.rate;
  const sentAt = new Float64Array(total);
  const latency = new Float64Array(total).fill(Number.NaN);
  let start = 0;
  let received = 0;
  let receivedMeasured = 0;
  let allReceived: (() => void) | undefined;

  for (const ws of sockets) {
    ws.on('message', (data: Buffer) => {
      const now = performance.now();
      const { id } = checkReply(data.toString(), undefined, errors);
      if (typeof id !== 'number' || !(id >= 0 && id < total) || !Number.isNaN(latency[id]!)) {
        tally(errors, `reply with an unknown or repeated id: ${String(id)}`);
        return;
      }
      latency[id] = now - (start + id * intervalMs);
      received++;
      if (id >= firstMeasured) receivedMeasured++;
      if (received === total) allReceived?.();
    });
  }

  let cpu = process.cpuUsage();
  const gc = new GcWatch();
  let measuredStart = 0;
  await new Promise<void>((resolve) => {
    let next = 0;
    start = performance.now();
    const again = (fn: () => void): unknown => (job.pacing === 'spin' ? setImmediate(fn) : setTimeout(fn, 1));
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        if (next === firstMeasured) {
          measuredStart = now;
          cpu = process.cpuUsage();
          gc.start();
          post({ type: 'measuring', phase: 'start' });
        }
        sockets[next % sockets.length]!.send(requestText(next, pool[next % pool.length]!));
        sentAt[next] = performance.now();
        next++;
      }
      if (next < total) again(tick);
      else resolve();
    };
    again(tick);
  });
  const measuredMs = performance.now() - measuredStart;
  post({ type: 'measuring', phase: 'end' });
  const clientCpuPercent = cpuPercent(cpu, measuredMs);
  const clientGc = gc.stop();
  if (received < total) await Promise.race([new Promise<void>((resolve) => (allReceived = resolve)), sleep(job.drainMs)]);
  await closeAll(sockets);
  if (failure) throw new Error(`${job.label}: ${failure}`);

  const measured = total - firstMeasured;
  const samples: number[] = [];
  const fromSend: number[] = [];
  const lags: number[] = [];
  for (let i = firstMeasured; i < total; i++) {
    const lag = sentAt[i]! - (start + i * intervalMs);
    lags.push(lag);
    if (!Number.isNaN(latency[i]!)) {
      samples.push(latency[i]!);
      fromSend.push(latency[i]! - lag);
    }
  }
  const lost = measured - samples.length;
  if (lost > 0) tally(errors, `${lost} measured requests had no reply within ${job.drainMs} ms of the last send`);
  return {
    mode: 'open',
    label: job.label,
    measuredMs,
    offeredRate: job.rate,
    achievedRate: (receivedMeasured / measuredMs) * 1000,
    sent: total,
    received,
    lost,
    latencyMs: summarize(samples),
    latencyFromSendMs: summarize(fromSend),
    sendLagMs: summarize(lags),
    errors,
    clientCpuPercent,
    clientGc,
  };
}

async function runPrefill(job: PrefillJob): Promise<PrefillResult> {
  const pool = batchParams(BATCH_POOL, job.batchSize, job.agents, 4);
  const errors: ErrorTally = { count: 0, samples: [] };
  let failure: string | undefined;
  const sockets = await Promise.all(Array.from({ length: job.connections }, () => connect(job.url, (why) => (failure ??= why))));
  const batches = Math.ceil(job.signals / job.batchSize);
  const started = performance.now();
  let sent = 0;
  let answered = 0;
  let accepted = 0;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      tally(errors, `prefill: only ${answered} of ${batches} batches answered in ${PREFILL_TIMEOUT_MS / 1000} s`);
      resolve();
    }, PREFILL_TIMEOUT_MS);
    sockets.forEach((ws, c) => {
      let nextId = c * 1_000_000_000 + 1;
      const send = (): void => {
        if (sent >= batches) return;
        ws.send(requestText(nextId++, pool[sent++ % pool.length]!));
      };
      ws.on('message', (data: Buffer) => {
        accepted += checkReply(data.toString(), job.batchSize, errors).signals;
        if (++answered === batches) resolve();
        else send();
      });
      for (let i = 0; i < job.window; i++) send();
    });
  });
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  await closeAll(sockets);
  if (failure) throw new Error(`${job.label}: ${failure}`);
  return { mode: 'prefill', label: job.label, accepted, elapsedMs, errors };
}

function runJob(job: LoadJob): Promise<LoadResult> {
  switch (job.mode) {
    case 'closed':
      return runClosed(job);
    case 'open':
      return runOpen(job);
    case 'prefill':
      return runPrefill(job);
  }
}

process.on('message', (message: ToGenerator) => {
  if (message.type === 'exit') {
    process.disconnect();
    return;
  }
  runJob(message.job).then(
    (result) => post({ type: 'result', result }),
    (err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
post({ type: 'ready' });
