import { AgentWorker, CoordClient, type TaskRunParams } from '../../src/client/index.js';
import type { ClusterHistory, TaskSnapshot } from './cluster-history.js';

/** Reconnect quickly: a failover is measured, not the client's patience. */
const RECONNECT = { initialDelayMs: 50, maxDelayMs: 500, factor: 2, jitter: 0.2 };

export interface TaskLoadOptions {
  /** Each agent's URL list (rotated per agent so agents spread over replicas). */
  urls: string[];
  agents: number;
  capacity: number;
  operators: number;
  /** Tasks submitted and not yet run, over all operators (closed loop). */
  window: number;
  /** Give every assign an idempotency key (and retry it across a failover). */
  idempotent: boolean;
  history?: ClusterHistory;
  /** How long each task runs on its agent (ms). @defaultValue 0: answered at once */
  taskMs?: number;
  /** The clients' keepalive and opening-handshake limits (short ones notice a frozen replica quickly). @defaultValue the client's */
  keepaliveMs?: number;
  connectTimeoutMs?: number;
  /** @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Wait this long before a freed slot submits again (caps the rate at window / paceMs). @defaultValue 0 */
  paceMs?: number;
}

/**
 * A closed-loop load on coordd through the client library (bench:cluster and the cluster fault
 * tests): `agents` AgentWorkers answer every task.run with `{taskId, epoch}` (at once, or after
 * `taskMs`), and `operators` CoordClients keep `window` tasks submitted and not yet started; each
 * task.run frees a slot for the next assign. With a history, every ack, run and outcome is recorded
 * for the checker. Both the single-node daemon and the cluster get the very same load.
 */
export class TaskLoad {
  readonly workers: AgentWorker[] = [];
  readonly operators: CoordClient[] = [];
  /** task.run handled, in total and with their receive times (ms, performance.now()). */
  runs = 0;
  readonly runTimes: { taskId: string; at: number }[] = [];
  submitted = 0;
  acked = 0;
  failedAssigns = 0;
  private inFlight = 0;
  private running = false;
  private seq = 0;
  private nextOperator = 0;
  /** When each task's assign was sent (ms), by idempotency key or task id. */
  readonly sentAt = new Map<string, number>();
  readonly keyOfTask = new Map<string, string>();

  constructor(private readonly options: TaskLoadOptions) {}

  async start(): Promise<void> {
    const { urls, agents, capacity, operators } = this.options;
    const rotated = (i: number): string[] => urls.map((_, j) => urls[(i + j) % urls.length]!);
    for (let i = 0; i < agents; i++) {
      const worker = new AgentWorker({
        url: rotated(i),
        agentId: `bench-${i}`,
        capabilities: ['bench'],
        capacity,
        reconnect: RECONNECT,
        keepaliveMs: this.options.keepaliveMs,
        connectTimeoutMs: this.options.connectTimeoutMs,
        handler: (task, ctx) => this.ran(task, `bench-${i}`, ctx.signal),
      });
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.start()));
    for (let i = 0; i < operators; i++) {
      const { keepaliveMs, connectTimeoutMs, requestTimeoutMs } = this.options;
      this.operators.push(
        await CoordClient.connect({
          url: rotated(i),
          reconnect: RECONNECT,
          requestTimeoutMs: requestTimeoutMs ?? 30_000,
          assignRetries: 20,
          keepaliveMs,
          connectTimeoutMs,
        }),
      );
    }
  }

  /** Start submitting (keeps `window` in flight until stop()). */
  run(): void {
    this.running = true;
    this.pump();
  }

  /** Stop submitting; what is in flight still runs. */
  pause(): void {
    this.running = false;
  }

  /** Submit one task now (outside the closed loop), resolving with its id or undefined on failure. */
  async submitOne(): Promise<string | undefined> {
    return this.assign();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.operators.map((c) => c.close().catch(() => undefined)));
    await Promise.all(this.workers.map((w) => w.stop().catch(() => undefined)));
  }

  private pump(): void {
    while (this.running && this.inFlight < this.options.window) {
      this.inFlight++;
      void this.assign().then((taskId) => {
        if (taskId === undefined) this.inFlight--; // not accepted: free the slot
        if (taskId === undefined && this.running) setTimeout(() => this.pump(), 20);
      });
    }
  }

  private async assign(): Promise<string | undefined> {
    const op = this.operators[this.nextOperator++ % this.operators.length]!;
    const key = this.options.idempotent ? `bench-${process.pid}-${++this.seq}` : undefined;
    this.submitted++;
    const sent = performance.now();
    try {
      const { taskId } = await op.assign({ type: 'bench', requiredCapabilities: ['bench'], ...(key ? { idempotencyKey: key } : {}) });
      this.acked++;
      this.sentAt.set(taskId, sent);
      if (key) this.keyOfTask.set(taskId, key);
      this.options.history?.assignAcked(key, taskId);
      return taskId;
    } catch (error) {
      this.failedAssigns++;
      this.options.history?.assignUnsure(key, error);
      return undefined;
    }
  }

  private ran(task: TaskRunParams, agentId: string, signal: AbortSignal): unknown {
    const result = { taskId: task.taskId, epoch: task.epoch };
    this.runs++;
    this.runTimes.push({ taskId: task.taskId, at: performance.now() });
    this.options.history?.runStarted(task.taskId, task.epoch, agentId);
    if (this.inFlight > 0) this.inFlight--;
    const paceMs = this.options.paceMs ?? 0;
    if (this.running) {
      if (paceMs > 0) setTimeout(() => this.pump(), paceMs);
      else queueMicrotask(() => this.pump());
    }
    const finish = (): unknown => {
      this.options.history?.runFinished(task.taskId, task.epoch, result);
      return result;
    };
    const taskMs = this.options.taskMs ?? 0;
    if (taskMs === 0) return finish();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(finish()), taskMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  }
}

/** Every task record, all pages of task.list. */
export async function listAllTasks(client: CoordClient): Promise<Map<string, TaskSnapshot>> {
  const out = new Map<string, TaskSnapshot>();
  let cursor: string | undefined;
  do {
    const page = await client.listTasks({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const t of page.tasks) out.set(t.taskId, t as TaskSnapshot);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Wait (up to `timeoutMs`) until every task in `acked` is COMPLETED, then hand every record to the
 * history; returns the acknowledged tasks missing at the end and those not completed.
 */
export async function settleTasks(
  client: CoordClient,
  acked: readonly string[],
  history: ClusterHistory,
  timeoutMs: number,
): Promise<{ lost: string[]; notCompleted: string[] }> {
  const deadline = Date.now() + timeoutMs;
  // A read may fail while the cluster settles after a fault (LEADER_UNAVAILABLE, a reconnect): read again.
  const read = async (): Promise<Map<string, TaskSnapshot>> => {
    for (;;) {
      try {
        return await listAllTasks(client);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  let records = await read();
  while (Date.now() < deadline && acked.some((id) => records.get(id)?.state !== 'COMPLETED')) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    records = await read();
  }
  history.finalTasks([...records.values()]);
  return {
    lost: acked.filter((id) => !records.has(id)),
    notCompleted: acked.filter((id) => records.has(id) && records.get(id)!.state !== 'COMPLETED'),
  };
}
