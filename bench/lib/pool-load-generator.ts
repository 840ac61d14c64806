/**
 * The pool bench's load generator, run as its own process (forked by bench/pool.ts with an IPC
 * channel): it holds both ends of the work — 100 agent connections that answer every task.run at
 * once with {ok:true}, and a few operator connections that submit tasks with pool.assign — so
 * the daemon sits between two sets of real sockets and the generator can time a task from its
 * submission to its dispatch on one clock. Raw `ws` and hand-written JSON on the hot path.
 *
 * Each pool.assign carries a sequence number in its payload (`{"s": seq}`) and as its JSON-RPC id:
 * the agent looks the send time up by it without waiting for the assign reply (which the daemon
 * sends after it has already dispatched the task).
 */
import { once } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import {
  PREPARE_LEAD_MS,
  type ClosedJob,
  type ErrorTally,
  type FromPoolGenerator,
  type OpenJob,
  type PhaseResult,
  type PoolJob,
  type PoolJobResult,
  type SetupJob,
  type SetupResult,
  type TeardownResult,
  type ToPoolGenerator,
} from './pool-protocol.js';
import { summarize } from './stats.js';

const RING = 1 << 20;
const MASK = RING - 1;
const MAX_ERROR_SAMPLES = 5;
const CONNECT_TIMEOUT_MS = 10_000;

/** Send time (performance.now) and submitting operator of every task, by sequence number. */
const sentAt = new Float64Array(RING);
const ownerOf = new Uint16Array(RING);

interface Phase {
  firstSeq: number;
  measureStart: number;
  measureEnd: number;
  /** Whether task `seq`, at time `t`, belongs in the latency samples. */
  sampled: (seq: number, t: number) => boolean;
  /** Closed loop: submit the next task for this operator. */
  refill?: (operator: number) => void;
  /** Open loop: when task `seq` was due. */
  scheduledAt?: (seq: number) => number;
  submitted: number;
  assignReplies: number;
  assignRepliesInWindow: number;
  answered: number;
  completedInWindow: number;
  /** Submitted, neither answered by an agent nor refused by the daemon. */
  outstanding: number;
  dispatch: number[];
  /** When each dispatch sample arrived (ms since the window opened), to see whether the slow ones cluster. */
  dispatchAt: number[];
  dispatchFromSchedule: number[];
  endToEnd: number[];
  assignReply: number[];
  errors: ErrorTally;
}

const fleet = {
  taskType: 'noop',
  agents: [] as WebSocket[],
  operators: [] as WebSocket[],
  heartbeat: undefined as NodeJS.Timeout | undefined,
  nextSeq: 0,
  totalAnswered: 0,
  totalAccepted: 0,
  unexpected: 0,
  errors: { count: 0, samples: [] } as ErrorTally,
};
let phase: Phase | undefined;
/** Set by teardown: closes from then on are ours, not the daemon's. */
let closing = false;

function post(message: FromPoolGenerator): void {
  process.send?.(message);
}

function tally(errors: ErrorTally, what: string): void {
  errors.count++;
  if (errors.samples.length < MAX_ERROR_SAMPLES) errors.samples.push(what.length > 300 ? `${what.slice(0, 300)}…` : what);
}

/** Errors go to the running phase when there is one, else to the fleet's own tally. */
function fail(what: string): void {
  tally(phase?.errors ?? fleet.errors, what);
}

async function connect(url: string, role: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', (err) => fail(`${role} socket error: ${err.message}`));
  await Promise.race([
    once(ws, 'open'),
    sleep(CONNECT_TIMEOUT_MS).then(() => {
      throw new Error(`${role}: no connection to ${url} within ${CONNECT_TIMEOUT_MS} ms`);
    }),
  ]);
  ws.on('close', (code, reason) => {
    if (!closing) fail(`${role} socket closed by the daemon: ${code} ${reason.toString()}`);
  });
  return ws;
}

/** One request on a socket that has no other traffic yet (registration). */
async function call(ws: WebSocket, method: string, params: object): Promise<Record<string, unknown>> {
  const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      ws.off('message', onMessage);
      const msg = JSON.parse(data.toString()) as { result?: Record<string, unknown>; error?: unknown };
      if (msg.result) resolve(msg.result);
      else reject(new Error(`${method} failed: ${data.toString()}`));
    };
    ws.on('message', onMessage);
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return reply;
}

// ---- hot path ------------------------------------------------------------------------------

function submit(operator: number): void {
  const p = phase!;
  const seq = fleet.nextSeq++;
  const slot = seq & MASK;
  ownerOf[slot] = operator;
  sentAt[slot] = performance.now();
  fleet.operators[operator]!.send(`{"jsonrpc":"2.0","id":${seq},"method":"pool.assign","params":{"type":"${fleet.taskType}","payload":{"s":${seq}}}}`);
  p.submitted++;
  p.outstanding++;
}

/** An agent got a frame from the daemon: answer task.run at once, then book-keep. */
function onAgentMessage(ws: WebSocket, data: Buffer): void {
  const arrived = performance.now();
  let msg: { id?: unknown; method?: unknown; params?: { payload?: { s?: unknown } } };
  try {
    msg = JSON.parse(data.toString()) as typeof msg;
  } catch {
    fail(`agent got an unparseable frame: ${data.toString()}`);
    return;
  }
  if (msg.method !== 'task.run') {
    fleet.unexpected++;
    fail(`agent got an unexpected frame: ${data.toString()}`);
    return;
  }
  ws.send(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"ok":true}}`);
  const answered = performance.now();
  fleet.totalAnswered++;
  const seq = msg.params?.payload?.s;
  const p = phase;
  if (p === undefined || typeof seq !== 'number' || seq < p.firstSeq) {
    fail(`task.run for a task not submitted in this phase: ${data.toString()}`);
    return;
  }
  p.answered++;
  p.outstanding--;
  const sent = sentAt[seq & MASK]!;
  if (p.sampled(seq, arrived)) {
    p.dispatch.push(arrived - sent);
    p.dispatchAt.push(arrived - p.measureStart);
    if (p.scheduledAt) p.dispatchFromSchedule.push(arrived - p.scheduledAt(seq));
  }
  if (p.sampled(seq, answered)) p.endToEnd.push(answered - sent);
  if (answered >= p.measureStart && answered < p.measureEnd) p.completedInWindow++;
  p.refill?.(ownerOf[seq & MASK]!);
}

/** An operator got a frame: the reply to one of its pool.assign calls (id = sequence number). */
function onOperatorMessage(data: Buffer): void {
  const now = performance.now();
  const p = phase;
  let msg: { id?: unknown; result?: { state?: unknown }; error?: unknown };
  try {
    msg = JSON.parse(data.toString()) as typeof msg;
  } catch {
    fail(`operator got an unparseable frame: ${data.toString()}`);
    return;
  }
  const seq = msg.id;
  if (p === undefined || typeof seq !== 'number' || seq < p.firstSeq) {
    fleet.unexpected++;
    fail(`operator got an unexpected frame: ${data.toString()}`);
    return;
  }
  p.assignReplies++;
  if (msg.error !== undefined || msg.result === undefined || (msg.result.state !== 'IN_PROGRESS' && msg.result.state !== 'PENDING')) {
    // Refused: it will never run, so it no longer counts as outstanding and frees its slot.
    tally(p.errors, `pool.assign: ${data.toString()}`);
    p.outstanding--;
    p.refill?.(ownerOf[seq & MASK]!);
    return;
  }
  fleet.totalAccepted++;
  if (now >= p.measureStart && now < p.measureEnd) p.assignRepliesInWindow++;
  if (p.sampled(seq, now)) p.assignReply.push(now - sentAt[seq & MASK]!);
}

// ---- jobs ----------------------------------------------------------------------------------

async function setup(job: SetupJob): Promise<SetupResult> {
  const started = performance.now();
  fleet.taskType = job.taskType;
  const registered = await Promise.all(
    Array.from({ length: job.agents }, async (_, i) => {
      const ws = await connect(job.url, `agent ${i}`);
      const agentId = `bench-agent-${String(i).padStart(3, '0')}`;
      const result = await call(ws, 'agent.register', { agentId, capabilities: [job.taskType], capacity: job.capacity });
      ws.on('message', (data: Buffer) => onAgentMessage(ws, data));
      return { ws, result };
    }),
  );
  fleet.agents = registered.map((r) => r.ws);
  fleet.operators = await Promise.all(Array.from({ length: job.operators }, (_, i) => connect(job.url, `operator ${i}`)));
  for (const ws of fleet.operators) ws.on('message', onOperatorMessage);

  // One agent.heartbeat notification at a time, round-robin: every agent beats once per
  // heartbeatIntervalMs without a burst of 100 frames landing in the middle of a measurement.
  const heartbeatIntervalMs = Number(registered[0]?.result.heartbeatIntervalMs ?? 5_000);
  const leaseTtlMs = Number(registered[0]?.result.leaseTtlMs ?? 15_000);
  let next = 0;
  fleet.heartbeat = setInterval(
    () => {
      const ws = fleet.agents[next++ % fleet.agents.length];
      ws?.send('{"jsonrpc":"2.0","method":"agent.heartbeat","params":{}}');
    },
    Math.max(1, heartbeatIntervalMs / Math.max(1, fleet.agents.length)),
  );
  return {
    kind: 'setup',
    label: job.label,
    agentsRegistered: registered.length,
    operators: fleet.operators.length,
    heartbeatIntervalMs,
    leaseTtlMs,
    elapsedMs: performance.now() - started,
    errors: fleet.errors,
  };
}

function newPhase(measureStart: number, measureEnd: number, sampled: Phase['sampled']): Phase {
  return {
    firstSeq: fleet.nextSeq,
    measureStart,
    measureEnd,
    sampled,
    submitted: 0,
    assignReplies: 0,
    assignRepliesInWindow: 0,
    answered: 0,
    completedInWindow: 0,
    outstanding: 0,
    dispatch: [],
    dispatchAt: [],
    dispatchFromSchedule: [],
    endToEnd: [],
    assignReply: [],
    errors: { count: 0, samples: [] },
  };
}

/** Tell the parent shortly before the measured window, when it opens and when it closes (it samples the daemon then). */
function markWindow(p: Phase, warmupMs: number): void {
  const lead = Math.min(PREPARE_LEAD_MS, warmupMs / 2);
  setTimeout(() => post({ type: 'measuring', phase: 'prepare' }), Math.max(0, p.measureStart - lead - performance.now()));
  setTimeout(() => post({ type: 'measuring', phase: 'start' }), Math.max(0, p.measureStart - performance.now()));
  setTimeout(() => post({ type: 'measuring', phase: 'end' }), Math.max(0, p.measureEnd - performance.now()));
}

/**
 * Wait until every task of the phase was answered (or refused) and every assign got its reply
 * (the daemon dispatches before it replies, so the last replies trail the last answers), at most `drainMs`.
 */
async function drain(p: Phase, drainMs: number): Promise<void> {
  const deadline = performance.now() + drainMs;
  while ((p.outstanding > 0 || p.assignReplies < p.submitted) && performance.now() < deadline) await sleep(5);
}

/** This process's GC pauses while a phase runs (they delay the timestamps it takes). */
class GcWatch {
  /** [start, end] of every pause, performance.now() time. */
  readonly pauses: [number, number][] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.pauses.push([e.startTime, e.startTime + e.duration]);
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer.disconnect();
  }

  /** Pauses that overlap [from, to]. */
  within(from: number, to: number): [number, number][] {
    return this.pauses.filter(([s, e]) => e >= from && s <= to);
  }

  /** Pauses in [from, to], summarised. */
  summary(from: number, to: number): PhaseResult['clientGc'] {
    const inWindow = this.within(from, to).map(([s, e]) => e - s);
    return { count: inWindow.length, totalMs: inWindow.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...inWindow) };
  }
}

function finishPhase(kind: 'closed' | 'open', label: string, p: Phase, cpuStart: NodeJS.CpuUsage, wallStart: number, gc: GcWatch): PhaseResult {
  phase = undefined;
  gc.stop();
  const seconds = (p.measureEnd - p.measureStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    kind,
    label,
    measuredMs: p.measureEnd - p.measureStart,
    windowStartEpochMs: performance.timeOrigin + p.measureStart,
    submitted: p.submitted,
    assignReplies: p.assignReplies,
    answered: p.answered,
    unanswered: p.outstanding,
    completedInWindow: p.completedInWindow,
    completedPerSec: p.completedInWindow / seconds,
    assignRepliesPerSec: p.assignRepliesInWindow / seconds,
    dispatchMs: summarize(p.dispatch),
    slowestDispatches: slowest(p, gc, 20),
    endToEndMs: summarize(p.endToEnd),
    assignReplyMs: summarize(p.assignReply),
    errors: p.errors,
    clientCpuPercent: ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100,
    clientGc: gc.summary(p.measureStart, p.measureEnd),
  };
}

/** The `n` slowest dispatches: when they arrived, and whether this process was in a GC pause meanwhile. */
function slowest(p: Phase, gc: GcWatch, n: number): PhaseResult['slowestDispatches'] {
  return p.dispatch
    .map((ms, i) => ({ i, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map(({ i, ms }) => {
      const arrived = p.measureStart + p.dispatchAt[i]!;
      return { atMs: Math.round(p.dispatchAt[i]!), ms: Math.round(ms * 100) / 100, duringClientGc: gc.within(arrived - ms, arrived).length > 0 };
    });
}

async function runClosed(job: ClosedJob): Promise<PhaseResult> {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const gc = new GcWatch();
  const measureStart = wallStart + job.warmupMs;
  const measureEnd = measureStart + job.durationMs;
  const p = newPhase(measureStart, measureEnd, (_seq, t) => t >= measureStart && t < measureEnd);
  p.refill = (operator) => {
    if (performance.now() < measureEnd) submit(operator);
  };
  phase = p;
  markWindow(p, job.warmupMs);
  for (let w = 0; w < job.window; w++) for (let op = 0; op < fleet.operators.length; op++) submit(op);
  await sleep(Math.max(0, measureEnd - performance.now()));
  p.refill = undefined;
  await drain(p, job.drainMs);
  return { ...finishPhase('closed', job.label, p, cpuStart, wallStart, gc), inFlightTarget: job.window * fleet.operators.length };
}

async function runOpen(job: OpenJob): Promise<PhaseResult> {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const gc = new GcWatch();
  const interval = 1000 / job.rate;
  const warmupCount = Math.round((job.rate * job.warmupMs) / 1000);
  const total = warmupCount + Math.round((job.rate * job.durationMs) / 1000);
  const start = wallStart + 5;
  const firstSeq = fleet.nextSeq;
  const p = newPhase(start + warmupCount * interval, start + total * interval, (seq) => seq - firstSeq >= warmupCount);
  p.scheduledAt = (seq) => start + (seq - firstSeq) * interval;
  phase = p;
  markWindow(p, job.warmupMs);
  const lag: number[] = [];
  const operators = fleet.operators.length;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        submit(i % operators);
        if (i >= warmupCount) lag.push(sentAt[(firstSeq + i) & MASK]! - (start + i * interval));
        i++;
      }
      if (i >= total) resolve();
      else if (job.pacing === 'spin') setImmediate(tick);
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
  await drain(p, job.drainMs);
  const result = finishPhase('open', job.label, p, cpuStart, wallStart, gc);
  return { ...result, offeredRate: job.rate, dispatchFromScheduleMs: summarize(p.dispatchFromSchedule), sendLagMs: summarize(lag) };
}

async function teardown(job: { label: string }): Promise<TeardownResult> {
  closing = true;
  if (fleet.heartbeat) clearInterval(fleet.heartbeat);
  const sockets = [...fleet.agents, ...fleet.operators];
  await Promise.race([
    Promise.all(
      sockets.map((ws) => {
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        const closed = once(ws, 'close');
        ws.close(1000);
        return closed;
      }),
    ),
    sleep(2_000),
  ]);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  return {
    kind: 'teardown',
    label: job.label,
    totalAnswered: fleet.totalAnswered,
    totalAccepted: fleet.totalAccepted,
    unexpectedMessages: fleet.unexpected,
    errors: fleet.errors,
  };
}

async function run(job: PoolJob): Promise<PoolJobResult> {
  switch (job.kind) {
    case 'setup':
      return setup(job);
    case 'closed':
      return runClosed(job);
    case 'open':
      return runOpen(job);
    case 'teardown':
      return teardown(job);
  }
}

process.on('message', (m: ToPoolGenerator) => {
  if (m.type === 'exit') {
    process.exit(0);
  }
  run(m.job).then(
    (result) => post({ type: 'result', result }),
    (err: unknown) => post({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
post({ type: 'ready' });
