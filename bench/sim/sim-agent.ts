import { AgentCallError } from '../../src/agent-call-error.js';
import type { AgentChannel } from '../../src/pool/agent-channel.js';
import type { Random } from '../../src/random.js';
import type { TaskRunParams } from '../../src/schemas/task.js';
import type { TimerHandle } from '../../src/time/clock.js';
import type { SimClock } from './sim-clock.js';
import { slownessAt, type AgentSpec, type World } from './model.js';

/** How long a sinkhole takes to fail a task, ms. */
export const SINKHOLE_FAIL_MS = 20;

/** What the task payload carries: its true work on the reference agent, ms (hidden from the router). */
export interface SimPayload {
  work: number;
}

type Ending = 'completed' | 'failed' | 'cancelled' | 'timeout' | 'disconnected';

/** One task.run the agent holds. */
interface Job {
  readonly conn: SimConnection;
  readonly taskId: string;
  readonly epoch: number;
  readonly work: number;
  readonly receivedAt: number;
  resolve(result: unknown): void;
  reject(error: AgentCallError): void;
  startedAt: number;
  endsAt: number;
  timer: TimerHandle | undefined;
  settled: boolean;
}

/** The pool a connection belongs to: what the agent needs to register and to report a dropped connection. */
export interface PoolPort {
  register(reg: { agentId: string; capacity: number; capabilities: string[]; channel: AgentChannel; sessionId: string; contextWindowId: string }): unknown;
  disconnected(agentId: string, sessionId: string): void;
}

/** One agent's connection to one daemon: the AgentChannel that daemon's pool holds. */
export class SimConnection implements AgentChannel {
  open = true;

  constructor(
    readonly agent: SimAgent,
    readonly sessionId: string,
  ) {}

  runTask(params: TaskRunParams, timeoutMs: number): Promise<unknown> {
    return this.agent.receive(this, params, timeoutMs);
  }

  request(method: string): Promise<unknown> {
    return Promise.reject(new AgentCallError('remote', `${method} is not simulated`));
  }

  notify(method: string, params: object): void {
    if (method === 'task.cancel') this.agent.cancel(this, params as { taskId: string; epoch: number });
  }

  close(): void {
    this.agent.closedByPool(this);
  }
}

export interface SimAgentDeps {
  world: World;
  clock: SimClock;
  /** The agent's own randomness (failures, signal noise). */
  random: Random;
  /** The daemons it is connected to (one, or several in the stale-signals scenario). */
  pools: readonly PoolPort[];
  /** Called whenever a task.run promise settles, so the driver lets the pool's callbacks run. */
  onSettle(): void;
}

/**
 * A simulated agent with a hidden true model: `workers` parallel servers in front of a FIFO queue,
 * lognormal work scaled by its (possibly time-varying) slowness, a failure behaviour by role.
 * It also measures itself the way a real agent would (recent latency, success rate) for its
 * signal reports, and can answer, for the ORACLE and for decision accuracy, the true expected
 * completion time of one more task given now.
 */
export class SimAgent {
  /** Waiting for a worker, in arrival order. */
  private readonly queue: Job[] = [];
  private readonly running: Job[] = [];
  /** Jobs outside the worker queue: a sinkhole's (about to fail) and a hung agent's. */
  private readonly parked = new Set<Job>();
  private readonly connections: (SimConnection | undefined)[] = [];
  private sessions = 0;
  /** Connected and working (false between a crash and the new registration). */
  up = false;
  /** Worker-milliseconds spent serving. */
  busyMs = 0;
  /** EWMA of the time tasks spent in the agent (queue + service), ms: what it reports as latency. */
  latencyEwmaMs: number;
  /** EWMA of the share of tasks it finished successfully: what it reports as availability. */
  successEwma = 1;
  /** Attempts it finished successfully. */
  completions = 0;

  constructor(
    readonly spec: AgentSpec,
    readonly index: number,
    private readonly deps: SimAgentDeps,
  ) {
    this.latencyEwmaMs = deps.world.meanWorkMs * spec.speed;
  }

  get agentId(): string {
    return this.spec.agentId;
  }

  /** Tasks it holds (queued, served, parked). */
  get held(): number {
    return this.queue.length + this.running.length + this.parked.size;
  }

  /** True load as the agent sees it: held / registered capacity, at most 1. */
  get load(): number {
    return Math.min(1, this.held / this.spec.capacity);
  }

  /** Register with every daemon on fresh connections. */
  connect(): void {
    this.up = true;
    this.deps.pools.forEach((pool, i) => {
      const conn = new SimConnection(this, `${this.agentId}/s${++this.sessions}`);
      this.connections[i] = conn;
      pool.register({
        agentId: this.agentId,
        capacity: this.spec.capacity,
        capabilities: [],
        channel: conn,
        sessionId: conn.sessionId,
        contextWindowId: `ctx-${this.agentId}`,
      });
    });
  }

  /** The process dies: every call fails as disconnected, then each daemon learns the connection closed. */
  crash(): void {
    this.up = false;
    const now = this.deps.clock.now();
    for (const job of [...this.running, ...this.queue, ...this.parked]) {
      if (job.timer) this.deps.clock.clearTimeout(job.timer);
      if (job.startedAt >= 0 && job.endsAt > now) this.busyMs += now - job.startedAt;
      this.settle(job, 'disconnected');
    }
    this.running.length = 0;
    this.queue.length = 0;
    this.parked.clear();
    this.deps.pools.forEach((pool, i) => {
      const conn = this.connections[i];
      if (!conn) return;
      conn.open = false;
      this.connections[i] = undefined;
      pool.disconnected(this.agentId, conn.sessionId);
    });
  }

  /**
   * True expected time from now until one more task sent now would complete: when a worker frees
   * up for it behind the exact remaining work already here, plus the mean work at the current
   * slowness. Infinity for an agent that will not complete it (down, sinkhole, hung).
   */
  expectedCompletionMs(now: number): number {
    const { role, workers } = this.spec;
    if (!this.up || role === 'sinkhole' || role === 'hang') return Number.POSITIVE_INFINITY;
    const slow = slownessAt(this.deps.world, this.index, now);
    const free: number[] = [];
    for (const job of this.running) free.push(job.endsAt);
    while (free.length < workers) free.push(now);
    for (const job of this.queue) {
      const i = argMin(free);
      free[i] = free[i]! + job.work * slow;
    }
    return free[argMin(free)]! + this.deps.world.meanWorkMs * slow - now;
  }

  /**
   * For the waiting ORACLE: when each task the agent holds will be answered (its slot freed), in
   * time order, from the exact remaining work; and when a task of `work` (reference ms) given to
   * it at `from` (>= now) would complete behind everything it holds now. Infinity for an agent
   * that will not complete it. Exact for FIFO service as long as nothing else arrives first.
   */
  slotFreeTimes(now: number): number[] {
    const { role } = this.spec;
    if (!this.up || role === 'sinkhole' || role === 'hang') return [];
    const { ends } = this.schedule(now);
    return ends.sort((a, b) => a - b);
  }

  completionOf(work: number, now: number, from: number = now): number {
    const { role } = this.spec;
    if (!this.up || role === 'sinkhole' || role === 'hang') return Number.POSITIVE_INFINITY;
    const { free } = this.schedule(now);
    const start = Math.max(from, free[argMin(free)]!);
    return start + work * slownessAt(this.deps.world, this.index, start) - now;
  }

  /** Every held job's completion (FIFO behind the running ones) and each worker's next free time. */
  private schedule(now: number): { ends: number[]; free: number[] } {
    const slow = slownessAt(this.deps.world, this.index, now);
    const free: number[] = [];
    const ends: number[] = [];
    for (const job of this.running) {
      free.push(job.endsAt);
      ends.push(job.endsAt);
    }
    while (free.length < this.spec.workers) free.push(now);
    for (const job of this.queue) {
      const i = argMin(free);
      free[i] = free[i]! + job.work * slow;
      ends.push(free[i]!);
    }
    return { ends, free };
  }

  // ---- the AgentChannel side ---------------------------------------------------------------

  receive(conn: SimConnection, params: TaskRunParams, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { clock } = this.deps;
      const job: Job = {
        conn,
        taskId: params.taskId,
        epoch: params.epoch,
        work: (params.payload as SimPayload).work,
        receivedAt: clock.now(),
        resolve,
        reject,
        startedAt: -1,
        endsAt: -1,
        timer: undefined,
        settled: false,
      };
      if (!conn.open || !this.up) {
        this.settle(job, 'disconnected');
        return;
      }
      if (this.spec.role === 'sinkhole') {
        this.parked.add(job);
        job.timer = clock.setTimeout(() => {
          this.parked.delete(job);
          this.noteOutcome(job, false);
          this.settle(job, 'failed');
        }, SINKHOLE_FAIL_MS);
      } else if (this.spec.role === 'hang') {
        this.parked.add(job);
        // The transport gives up on its own (like RpcPeer); the pool's timer fires before it.
        job.timer = clock.setTimeout(() => {
          this.parked.delete(job);
          this.settle(job, 'timeout');
        }, timeoutMs);
      } else {
        this.queue.push(job);
        this.startWork();
      }
    });
  }

  /** task.cancel: drop the task (queued or in service) and answer with a non-retryable error. A hung agent ignores it. */
  cancel(conn: SimConnection, params: { taskId: string; epoch: number }): void {
    if (this.spec.role === 'hang') return;
    const match = (j: Job): boolean => j.conn === conn && j.taskId === params.taskId && j.epoch === params.epoch;
    const now = this.deps.clock.now();
    let job = this.running.find(match);
    if (job) {
      this.running.splice(this.running.indexOf(job), 1);
      this.busyMs += now - job.startedAt;
    } else if ((job = this.queue.find(match))) {
      this.queue.splice(this.queue.indexOf(job), 1);
    } else {
      job = [...this.parked].find(match);
      if (!job) return;
      this.parked.delete(job);
    }
    if (job.timer) this.deps.clock.clearTimeout(job.timer);
    this.settle(job, 'cancelled');
    this.startWork();
  }

  /** The daemon closed this connection (takeover or removal): its calls fail as disconnected. */
  closedByPool(conn: SimConnection): void {
    if (!conn.open) return;
    conn.open = false;
    for (const list of [this.running, this.queue]) {
      for (const job of list.filter((j) => j.conn === conn)) {
        list.splice(list.indexOf(job), 1);
        if (job.timer) this.deps.clock.clearTimeout(job.timer);
        this.settle(job, 'disconnected');
      }
    }
    for (const job of [...this.parked].filter((j) => j.conn === conn)) {
      this.parked.delete(job);
      if (job.timer) this.deps.clock.clearTimeout(job.timer);
      this.settle(job, 'disconnected');
    }
    this.startWork();
  }

  // ---- service -----------------------------------------------------------------------------

  private startWork(): void {
    const { clock, world } = this.deps;
    while (this.running.length < this.spec.workers && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const now = clock.now();
      const duration = job.work * slownessAt(world, this.index, now);
      job.startedAt = now;
      job.endsAt = now + duration;
      job.timer = clock.setTimeout(() => this.served(job), duration);
      this.running.push(job);
    }
  }

  private served(job: Job): void {
    this.running.splice(this.running.indexOf(job), 1);
    this.busyMs += job.endsAt - job.startedAt;
    const ok = this.deps.random.next() >= this.spec.failureRate;
    this.noteOutcome(job, ok);
    if (ok) this.completions++;
    this.settle(job, ok ? 'completed' : 'failed');
    this.startWork();
  }

  /** What the agent learns about itself from a finished task. */
  private noteOutcome(job: Job, ok: boolean): void {
    const a = 0.2;
    if (ok) this.latencyEwmaMs += a * (this.deps.clock.now() - job.receivedAt - this.latencyEwmaMs);
    this.successEwma += a * ((ok ? 1 : 0) - this.successEwma);
  }

  private settle(job: Job, how: Ending): void {
    if (job.settled) return;
    job.settled = true;
    job.timer = undefined;
    switch (how) {
      case 'completed':
        job.resolve({ taskId: job.taskId, agentId: this.agentId });
        break;
      case 'failed':
        job.reject(new AgentCallError('remote', 'task failed', { code: -32000, message: 'task failed', data: { retryable: true } }));
        break;
      case 'cancelled':
        job.reject(new AgentCallError('remote', 'cancelled', { code: -32000, message: 'cancelled', data: { retryable: false } }));
        break;
      case 'timeout':
        job.reject(new AgentCallError('timeout', 'no reply'));
        break;
      case 'disconnected':
        job.reject(new AgentCallError('disconnected', 'connection closed'));
        break;
    }
    this.deps.onSettle();
  }
}

function argMin(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[best]!) best = i;
  return best;
}
