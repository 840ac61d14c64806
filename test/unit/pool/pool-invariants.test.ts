import { expect } from 'chai';
import { AppError } from '../../../src/errors.js';
import type { PoolObserver, RequeueReason } from '../../../src/pool/pool-observer.js';
import type { PoolOptions } from '../../../src/pool/pool-options.js';
import type { AssignInput } from '../../../src/pool/pool-service.js';
import { failuresOf, requeuesOf } from '../../../src/pool/task-records.js';
import type { TaskRecord } from '../../../src/pool/task-store.js';
import { randomInt, seededRandom, type Random } from '../../../src/random.js';
import { TASK_STATES, TERMINAL_STATES, type TaskState } from '../../../src/schemas/task.js';
import { STRATEGY_NAMES } from '../../../src/schemas/common.js';
import { Agenda, AgentFleet, CAPABILITIES, RARE, simPool, type BehaviourMix, type SimCall, type SimConnection } from '../../support/random-agents.js';

/*
 * The pool under chaos: seeded fake agents complete, fail, hang, answer late, freeze, crash,
 * reconnect, take over their own id and despawn while thousands of tasks (with priorities,
 * capabilities, preferred agents, affinity, idempotency keys and cancels) go through. After every
 * step: no agent over capacity, no task in two places, every running task held by exactly the
 * live agent whose call carries its current epoch. Throughout: every task becomes terminal
 * exactly once and never changes afterwards, with attempts that agree with its state.
 */

/** SIM_SEEDS=1,2,…,50 runs more seeds (a failure names its seed; the run is deterministic). */
const SEEDS = process.env.SIM_SEEDS ? process.env.SIM_SEEDS.split(',').map(Number) : [1, 2, 3];
const TASKS_PER_SEED = 3000;
const MAX_STEP_MS = 10;
/** Submissions per virtual second, a little above what the agents get through, so a queue builds up. */
const TASKS_PER_SECOND = 45;
/** Agent-level chaos, per virtual second. */
const CHAOS_RATES = { crash: 0.2, freeze: 0.4, takeover: 0.4, despawn: 0.1, join: 0.5 };
const MIN_AGENTS = 8;
const MAX_AGENTS = 18;

const POOL_OPTIONS: Partial<PoolOptions> = {
  heartbeatIntervalMs: 500,
  leaseTtlMs: 1500,
  removalGraceMs: 1500,
  retryBaseDelayMs: 50,
  retryMaxDelayMs: 500,
  maxRequeues: 3,
  affinityWaitMs: 300,
};

const CHAOS: BehaviourMix = { complete: 62, late: 6, fail: 11, fatal: 3, hang: 8, crash: 1.5, answerThenCrash: 1 };
/** Once submissions stop: agents still fail, hang and answer late, but stay connected. */
const CALM: BehaviourMix = { ...CHAOS, crash: 0, answerThenCrash: 0 };

type Transition = { state: TaskState; previous: TaskState | undefined; epoch: number; agentId: string | undefined; at: number };

const NEXT: Record<TaskState, readonly TaskState[]> = {
  PENDING: ['IN_PROGRESS', 'CANCELLED'],
  IN_PROGRESS: ['PENDING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** Every task state change, checked as it happens. */
class TaskLedger implements PoolObserver {
  readonly history = new Map<string, Transition[]>();
  readonly latest = new Map<string, TaskRecord>();
  readonly live = new Set<string>();
  /** Tasks IN_PROGRESS as observed. */
  readonly running = new Set<string>();
  /** Tasks whose state changed since the last world check. */
  readonly touched = new Set<string>();
  readonly byState: Record<TaskState, number> = { PENDING: 0, IN_PROGRESS: 0, COMPLETED: 0, FAILED: 0, CANCELLED: 0 };
  readonly terminal = new Map<string, TaskState>();
  readonly violations: string[] = [];
  readonly requeues: Partial<Record<RequeueReason, number>> = {};
  readonly stale = { result: 0, progress: 0 };

  constructor(
    private readonly now: () => number,
    private readonly maxRequeues: number,
  ) {}

  violate(message: string): void {
    this.violations.push(`[t=${this.now()}] ${message}`);
  }

  taskState(task: TaskRecord, previous: TaskState | undefined): void {
    const id = task.taskId;
    const h = this.history.get(id);
    if (!h) {
      if (previous !== undefined || task.state !== 'PENDING') this.violate(`${id} first seen as ${previous} → ${task.state}`);
      this.history.set(id, []);
    } else {
      const last = h.at(-1)!;
      if (TERMINAL_STATES.has(last.state)) this.violate(`${id} changed after terminal ${last.state}: ${previous} → ${task.state}`);
      if (previous !== last.state) this.violate(`${id} reported previous ${previous}, but it was ${last.state}`);
      if (!NEXT[last.state].includes(task.state)) this.violate(`${id} moved ${last.state} → ${task.state}`);
      const epochStep = task.state === 'IN_PROGRESS' ? 1 : 0;
      if (task.epoch !== last.epoch + epochStep) this.violate(`${id} epoch ${last.epoch} → ${task.epoch} on ${last.state} → ${task.state}`);
    }
    for (const problem of attemptProblems(task, this.maxRequeues)) this.violate(`${id} (${task.state}): ${problem}`);
    if (previous !== undefined) this.byState[previous]--;
    this.byState[task.state]++;
    if (task.state === 'IN_PROGRESS') this.running.add(id);
    else this.running.delete(id);
    this.touched.add(id);
    if (TERMINAL_STATES.has(task.state)) {
      if (this.terminal.has(id)) this.violate(`${id} terminal twice: ${this.terminal.get(id)} then ${task.state}`);
      this.terminal.set(id, task.state);
      this.live.delete(id);
    } else {
      this.live.add(id);
    }
    this.history.get(id)!.push({ state: task.state, previous, epoch: task.epoch, agentId: task.agentId, at: this.now() });
    this.latest.set(id, task);
  }

  requeued(_task: TaskRecord, reason: RequeueReason): void {
    this.requeues[reason] = (this.requeues[reason] ?? 0) + 1;
  }

  staleEpoch(kind: 'result' | 'progress'): void {
    this.stale[kind]++;
  }
}

/** What must hold of a task's attempts in its current state. */
function attemptProblems(task: TaskRecord, maxRequeues: number): string[] {
  const out: string[] = [];
  const attempts = task.attempts;
  const last = attempts.at(-1);
  const running = attempts.filter((a) => a.outcome === 'running');
  attempts.forEach((a, i) => {
    if (a.attempt !== i + 1 || a.epoch !== i + 1) out.push(`attempt #${i + 1} numbered ${a.attempt} with epoch ${a.epoch}`);
    if (a.outcome !== 'running' && (a.finishedAt === undefined || a.finishedAt < a.startedAt)) out.push(`attempt ${a.attempt} ended without a sane finishedAt`);
    else if (a.outcome === 'timeout' && a.finishedAt! - a.startedAt < task.timeoutMs)
      out.push(`attempt ${a.attempt} timed out after ${a.finishedAt! - a.startedAt} of ${task.timeoutMs} ms`);
  });
  if (task.epoch !== attempts.length) out.push(`epoch ${task.epoch} but ${attempts.length} attempts`);
  if (running.length > 1) out.push(`${running.length} running attempts`);
  if (task.state === 'IN_PROGRESS') {
    if (last?.outcome !== 'running' || last.agentId !== task.agentId) out.push(`running on ${task.agentId}, last attempt ${JSON.stringify(last)}`);
  } else if (running.length > 0) {
    out.push('a running attempt outside IN_PROGRESS');
  }
  if (failuresOf(task) > task.maxAttempts) out.push(`${failuresOf(task)} failures > maxAttempts ${task.maxAttempts}`);
  if (requeuesOf(task) > maxRequeues + 1) out.push(`${requeuesOf(task)} requeues > maxRequeues ${maxRequeues} + 1`);
  if (task.state === 'COMPLETED') {
    const result = task.result as { taskId?: string; epoch?: number } | undefined;
    if (last?.outcome !== 'completed') out.push(`COMPLETED but last attempt ${last?.outcome}`);
    if (result?.taskId !== task.taskId || result.epoch !== task.epoch) out.push(`result ${JSON.stringify(result)} is not the answer of epoch ${task.epoch}`);
  }
  if (task.state === 'FAILED') {
    if (!task.error) out.push('FAILED without an error');
    const fatal = (task.error?.data as { retryable?: boolean } | undefined)?.retryable === false;
    if (last?.outcome === 'disconnected') {
      if (requeuesOf(task) !== maxRequeues + 1) out.push(`FAILED after ${requeuesOf(task)} lost agents`);
    } else if (last?.outcome === 'failed' || last?.outcome === 'timeout') {
      if (!fatal && failuresOf(task) !== task.maxAttempts) out.push(`FAILED after ${failuresOf(task)} of ${task.maxAttempts} attempts`);
    } else {
      out.push(`FAILED with last attempt ${last?.outcome}`);
    }
  }
  if (task.state === 'PENDING' && last && (last.outcome === 'failed' || last.outcome === 'timeout') && failuresOf(task) >= task.maxAttempts) {
    out.push(`PENDING again after ${failuresOf(task)} of ${task.maxAttempts} attempts`);
  }
  return out;
}

/** One seeded run: chaos while TASKS_PER_SEED tasks are submitted, then calm until all are terminal. */
class Scenario {
  readonly random: Random;
  readonly agenda = new Agenda();
  readonly ledger: TaskLedger;
  readonly world: ReturnType<typeof simPool>;
  readonly fleet: AgentFleet;
  /** Distinct tasks, in submission order. */
  readonly submitted: string[] = [];
  readonly byKey = new Map<string, string>();
  readonly cancelAccepted = new Set<string>();
  readonly counts = {
    assigns: 0,
    deduplicated: 0,
    cancelledPending: 0,
    cancelledRunning: 0,
    refusedCancels: 0,
    progressAccepted: 0,
    progressRefused: 0,
    steps: 0,
  };
  private readonly seen = new Set<string>();
  private readonly t0: number;
  /** Tasks owed to the submission rate. */
  private credit = 0;
  private unhandled: ((reason: unknown) => void) | undefined;

  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
    this.ledger = new TaskLedger(() => this.elapsed(), POOL_OPTIONS.maxRequeues!);
    this.world = simPool(seed, this.ledger, POOL_OPTIONS);
    this.t0 = this.world.clock.now();
    this.fleet = new AgentFleet({ pool: this.world.pool, clock: this.world.clock, random: this.random, agenda: this.agenda }, CHAOS, {
      dispatched: (call) => this.checkDispatch(call),
      progressed: (call, reporter, accepted) => this.checkProgress(call, reporter, accepted),
      violation: (message) => this.ledger.violate(message),
    });
  }

  async run(): Promise<void> {
    this.unhandled = (reason) => this.ledger.violate(`unhandled rejection: ${String(reason)}`);
    process.on('unhandledRejection', this.unhandled);
    try {
      const { pool } = this.world;
      pool.start();
      for (let i = 0; i < 12; i++) this.fleet.join();
      while (this.submitted.length < TASKS_PER_SEED) {
        const dt = await this.step();
        this.submitSome(dt);
        this.chaos(dt);
      }
      this.fleet.mix = CALM;
      // Someone must be able to serve every task, rare ones included.
      this.fleet.join({ capabilities: [...CAPABILITIES, RARE], capacity: 4 });
      // Generous: the slowest task needs 4 attempts of 8 s; the backlog drains at ~40 tasks/s.
      const deadline = this.world.clock.now() + 180_000;
      while (this.ledger.live.size > 0 && this.world.clock.now() < deadline) {
        if (this.fleet.online.length < 4) this.fleet.join({ capabilities: [...CAPABILITIES, RARE] });
        await this.step();
      }
      if (this.ledger.live.size > 0) this.fail(`${this.ledger.live.size} tasks never finished`, [...this.ledger.live].slice(0, 5));
      pool.stop();
      this.finalChecks();
    } finally {
      process.off('unhandledRejection', this.unhandled);
    }
  }

  // ---- driving -----------------------------------------------------------------------------

  /** Advance to the next agent event (at most MAX_STEP_MS), run it, let promise callbacks run, check everything. */
  private async step(): Promise<number> {
    const { clock } = this.world;
    this.counts.steps++;
    const from = clock.now();
    const next = Math.min(this.agenda.nextAt() ?? Infinity, from + MAX_STEP_MS);
    clock.advanceTo(next);
    this.agenda.runDue(clock.now());
    this.fleet.heartbeats(POOL_OPTIONS.heartbeatIntervalMs!);
    // A macrotask turn runs every promise callback (agent answers reaching the pool, drains resolving).
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.checkWorld();
    if (this.ledger.violations.length > 0) this.fail('invariant violated');
    return clock.now() - from;
  }

  /** Submit at TASKS_PER_SECOND on average, with jitter; cancel and report stray progress now and then. */
  private submitSome(dtMs: number): void {
    const r = this.random;
    this.credit += (TASKS_PER_SECOND * dtMs * 2 * r.next()) / 1000;
    for (; this.credit >= 1 && this.submitted.length < TASKS_PER_SEED; this.credit--) this.submit();
    if (r.next() < (4 * dtMs) / 1000) this.cancelOne();
    if (r.next() < (10 * dtMs) / 1000) this.fleet.reportProgress();
  }

  private submit(): void {
    const r = this.random;
    const pick = <T>(xs: readonly T[]): T => xs[randomInt(r, xs.length)]!;
    const c = r.next();
    const requiredCapabilities = c < 0.6 ? [] : c < 0.88 ? [pick(CAPABILITIES)] : c < 0.98 ? [pick(CAPABILITIES), pick(CAPABILITIES)] : [RARE];
    const input: AssignInput = {
      type: 'job',
      requiredCapabilities,
      priority: randomInt(r, 7) - 2,
      // A few outlive an agent's lease and grace, so removing a frozen agent has tasks to requeue.
      timeoutMs: r.next() < 0.1 ? 3000 + randomInt(r, 5000) : 50 + randomInt(r, 1500),
      maxAttempts: 1 + randomInt(r, 4),
    };
    if (r.next() < 0.15) input.idempotencyKey = `key-${randomInt(r, 250)}`;
    if (r.next() < 0.1) input.preferredAgentId = `ag-${1 + randomInt(r, this.fleet.agents.size + 2)}`;
    if (r.next() < 0.15) input.affinityKey = `conv-${randomInt(r, 25)}`;
    if (r.next() < 0.5) input.strategy = pick(STRATEGY_NAMES);
    const { task, deduplicated } = this.world.pool.assign(input);
    this.counts.assigns++;
    const key = input.idempotencyKey;
    const first = key === undefined ? undefined : this.byKey.get(key);
    if (first !== undefined) {
      this.counts.deduplicated++;
      if (!deduplicated || task.taskId !== first) this.ledger.violate(`key ${key} gave ${task.taskId} (deduplicated ${deduplicated}), first was ${first}`);
      return;
    }
    if (deduplicated) this.ledger.violate(`fresh submission deduplicated into ${task.taskId}`);
    if (this.seen.has(task.taskId)) this.ledger.violate(`task id ${task.taskId} reused`);
    this.seen.add(task.taskId);
    this.submitted.push(task.taskId);
    if (key !== undefined) this.byKey.set(key, task.taskId);
  }

  /** Cancel a random task, mostly an unfinished one: the answer must match what the ledger knows. */
  private cancelOne(): void {
    const live = [...this.ledger.live];
    const from = live.length > 0 && this.random.next() < 0.7 ? live : this.submitted;
    if (from.length === 0) return;
    const id = from[randomInt(this.random, from.length)]!;
    const before = this.ledger.latest.get(id)!;
    try {
      const after = this.world.pool.cancel(id);
      this.cancelAccepted.add(id);
      if (before.state === 'PENDING') this.counts.cancelledPending++;
      if (before.state === 'IN_PROGRESS') this.counts.cancelledRunning++;
      if (before.state === 'PENDING' && after.state !== 'CANCELLED') this.ledger.violate(`cancel of pending ${id} left it ${after.state}`);
      if (before.state === 'IN_PROGRESS' && (after.state !== 'IN_PROGRESS' || !after.cancelRequested))
        this.ledger.violate(`cancel of running ${id} gave ${after.state}`);
      if (TERMINAL_STATES.has(before.state)) this.ledger.violate(`cancel of ${before.state} ${id} accepted`);
    } catch (err) {
      this.counts.refusedCancels++;
      if (!(err instanceof AppError && err.errorName === 'NOT_CANCELLABLE' && TERMINAL_STATES.has(before.state))) {
        this.ledger.violate(`cancel of ${before.state} ${id} refused: ${String(err)}`);
      }
    }
  }

  /** Agent-level chaos: joins, crashes, freezes, takeovers, despawns, at a few per virtual second. */
  private chaos(dtMs: number): void {
    const r = this.random;
    const happens = (perSecond: number): boolean => r.next() < (perSecond * dtMs) / 1000;
    const connected = this.fleet.online.filter((a) => !a.retired);
    const online = connected.filter((a) => !a.frozen);
    if (online.length < MIN_AGENTS || (online.length < MAX_AGENTS && happens(CHAOS_RATES.join))) this.fleet.join();
    const victim = online[randomInt(r, online.length)];
    if (!victim || online.length < MIN_AGENTS) return;
    if (happens(CHAOS_RATES.crash)) this.fleet.crash(victim, r.next() < 0.7 ? 50 + randomInt(r, 3000) : undefined);
    else if (happens(CHAOS_RATES.freeze)) this.fleet.freeze(victim, 200 + randomInt(r, 5000));
    // A frozen agent may be taken over too: its process restarted before the old connection died.
    else if (happens(CHAOS_RATES.takeover)) this.fleet.takeover(connected[randomInt(r, connected.length)]!, r.next() < 0.5);
    else if (happens(CHAOS_RATES.despawn)) this.fleet.despawn(victim, 500 + randomInt(r, 2000));
  }

  // ---- checks ------------------------------------------------------------------------------

  /** At dispatch, inside the pool: the call goes to the agent's current connection, within capacity, at the task's current epoch. */
  private checkDispatch(call: SimCall): void {
    const { pool, store } = this.world;
    const { taskId, epoch, attempt } = call.params;
    const v = (m: string): void => this.ledger.violate(`dispatch ${taskId}#${epoch} to ${call.agentId}: ${m}`);
    const agent = pool.agents.get(call.agentId);
    if (!agent || agent.channel !== call.conn) v('not the agent’s current connection');
    else {
      if (agent.draining || agent.degraded) v(`agent is ${agent.draining ? 'draining' : 'degraded'}`);
      if (agent.inFlight.size > agent.capacity) v(`agent holds ${agent.inFlight.size} > capacity ${agent.capacity}`);
      if (!agent.inFlight.has(taskId)) v('not in the agent’s inFlight');
    }
    const task = store.get(taskId);
    if (!task) return v('unknown task');
    if (task.state !== 'IN_PROGRESS' || task.epoch !== epoch || task.agentId !== call.agentId || task.attempts.length !== attempt) {
      v(`store says ${task.state} epoch ${task.epoch} on ${task.agentId} after ${task.attempts.length} attempts`);
    }
    const missing = task.requiredCapabilities.filter((c) => !call.conn.agent.capabilities.includes(c));
    if (missing.length > 0) v(`agent lacks ${missing.join(', ')}`);
    const epochs = this.fleet.callsByTask.get(taskId)!.map((c) => c.params.epoch);
    if (epochs.some((e, i) => e !== i + 1)) v(`calls so far carry epochs ${epochs.join(',')}`);
  }

  /** A progress report counts exactly when it names the running attempt's epoch and agent. */
  private checkProgress(call: SimCall, reporter: string, accepted: boolean): void {
    const t = this.ledger.latest.get(call.params.taskId)!;
    const current = t.state === 'IN_PROGRESS' && t.epoch === call.params.epoch && t.agentId === reporter;
    if (accepted) this.counts.progressAccepted++;
    else this.counts.progressRefused++;
    if (accepted !== current)
      this.ledger.violate(
        `progress ${call.params.taskId}#${call.params.epoch} from ${reporter} ${accepted ? 'accepted' : 'refused'}; task is ${t.state}#${t.epoch} on ${t.agentId}`,
      );
  }

  /** Between steps: capacity, one holder per task, holders are live and hold the current epoch's call. */
  private checkWorld(): void {
    const { pool, store } = this.world;
    const v = (m: string): void => this.ledger.violate(m);
    const holder = new Map<string, string>();
    for (const agent of pool.agents.all()) {
      if (agent.inFlight.size > agent.capacity)
        v(`${agent.agentId} holds ${agent.inFlight.size} tasks > capacity ${agent.capacity}: ${[...agent.inFlight].join(' ')}`);
      const conn = agent.channel as SimConnection;
      if (conn.state !== 'open' || conn.agent.conn !== conn) v(`${agent.agentId} is registered on ${conn.state} connection ${conn.sessionId}`);
      for (const id of agent.inFlight) {
        if (holder.has(id)) v(`${id} in flight on both ${holder.get(id)} and ${agent.agentId}`);
        holder.set(id, agent.agentId);
        const t = store.get(id);
        if (t?.state !== 'IN_PROGRESS' || t.agentId !== agent.agentId) v(`${id} in ${agent.agentId}'s inFlight but ${t?.state} on ${t?.agentId}`);
      }
    }
    for (const conn of this.fleet.connections) {
      if (conn.state === 'closed') this.fleet.connections.delete(conn);
      else if (conn.state === 'open' && pool.agents.get(conn.agent.agentId)?.channel !== conn)
        v(`open connection ${conn.sessionId} of ${conn.agent.agentId} is not registered`);
    }
    for (const id of this.ledger.touched) {
      const t = store.get(id)!;
      const seen = this.ledger.latest.get(id)!;
      if (t.state !== seen.state || t.epoch !== seen.epoch) v(`${id} is ${t.state}#${t.epoch} in the store, ${seen.state}#${seen.epoch} as observed`);
    }
    this.ledger.touched.clear();
    const counts = store.countByState();
    if (TASK_STATES.some((s) => counts[s] !== this.ledger.byState[s]))
      v(`store counts ${JSON.stringify(counts)}, observed ${JSON.stringify(this.ledger.byState)}`);
    for (const id of this.ledger.running) {
      const t = store.get(id)!;
      if (holder.get(id) !== t.agentId) v(`${id} runs on ${t.agentId} but is held by ${holder.get(id) ?? 'no live agent'}`);
      const call = this.fleet.callsByTask.get(id)?.at(-1);
      if (!call || call.params.epoch !== t.epoch || call.agentId !== t.agentId || call.ended) {
        v(
          `${id} runs epoch ${t.epoch} on ${t.agentId}; latest call ${call ? `${call.params.epoch} on ${call.agentId}, ${call.ended?.how ?? 'open'}` : 'none'}`,
        );
      }
    }
    if (pool.runningCount !== this.ledger.running.size) v(`pool runs ${pool.runningCount} attempts, ${this.ledger.running.size} tasks are IN_PROGRESS`);
  }

  private finalChecks(): void {
    const { pool, store } = this.world;
    const byState: Record<string, number> = {};
    for (const id of this.submitted) {
      const t = store.get(id)!;
      byState[t.state] = (byState[t.state] ?? 0) + 1;
      const h = this.ledger.history.get(id)!;
      const terminals = h.filter((x) => TERMINAL_STATES.has(x.state));
      if (terminals.length !== 1 || h.at(-1) !== terminals[0] || terminals[0]!.state !== t.state) {
        this.ledger.violate(`${id} history ${h.map((x) => x.state).join('→')}, store ${t.state}`);
      }
      if ((t.state === 'CANCELLED') !== this.cancelAccepted.has(id))
        this.ledger.violate(`${id} is ${t.state}, cancel accepted: ${this.cancelAccepted.has(id)}`);
      const calls = this.fleet.callsByTask.get(id) ?? [];
      if (calls.length !== t.attempts.length || calls.some((c, i) => c.agentId !== t.attempts[i]!.agentId)) {
        this.ledger.violate(`${id}: ${t.attempts.length} attempts but ${calls.length} task.run calls`);
      }
    }
    if (this.ledger.violations.length > 0) this.fail('final checks');
    const terminalTotal = ['COMPLETED', 'FAILED', 'CANCELLED'].reduce((n, s) => n + (byState[s] ?? 0), 0);
    expect(terminalTotal, 'terminal tasks').to.equal(this.submitted.length);
    expect(this.ledger.terminal.size, 'tasks that became terminal').to.equal(this.submitted.length);
    expect(this.ledger.history.size, 'tasks the pool reported').to.equal(this.submitted.length);
    expect(store.countByState()).to.include({ PENDING: 0, IN_PROGRESS: 0, COMPLETED: byState.COMPLETED ?? 0 });
    expect(pool.runningCount).to.equal(0);
    expect(pool.queueStats().depth).to.equal(0);
    for (const agent of pool.agents.all()) expect(agent.inFlight.size, agent.agentId).to.equal(0);
    expect(pool.staleEpochReports).to.equal(this.ledger.stale.result + this.ledger.stale.progress);
    // The run must really have exercised what it claims to.
    const { cancelsForUnknownCalls, ...fleet } = this.fleet.stats;
    const { deduplicated, cancelledPending, cancelledRunning, refusedCancels, progressAccepted, progressRefused } = this.counts;
    const { retry = 0, timeout = 0, disconnect = 0, agent_removed = 0 } = this.ledger.requeues;
    const exercised = {
      ...fleet,
      deduplicated,
      cancelledPending,
      cancelledRunning,
      refusedCancels,
      progressAccepted,
      progressRefused,
      retry,
      timeout,
      disconnect,
      agent_removed,
    };
    for (const [what, n] of Object.entries({ ...exercised, staleResults: this.ledger.stale.result })) expect(n, what).to.be.greaterThan(0);
    for (const state of ['COMPLETED', 'FAILED', 'CANCELLED']) expect(byState[state] ?? 0, state).to.be.greaterThan(0);
  }

  // ---- diagnostics -------------------------------------------------------------------------

  private fail(why: string, focus: string[] = []): never {
    const v = this.ledger.violations;
    const ids = new Set([...focus, ...v.slice(0, 5).flatMap((m) => m.match(/\bt-\d+\b/g) ?? [])]);
    const agentIds = new Set(v.slice(0, 5).flatMap((m) => m.match(/\bag-\d+\b/g) ?? []));
    const events = this.fleet.events.filter((e) => [...agentIds].some((a) => new RegExp(`\\b${a}\\b`).test(e)));
    const { pool, store } = this.world;
    const lines = [
      `seed ${this.seed}: ${why} at t=${this.elapsed()} ms, step ${this.counts.steps}, ${this.submitted.length} tasks submitted`,
      ...v.slice(0, 10).map((m) => `  ${m}`),
      v.length > 10 ? `  … ${v.length - 10} more` : '',
      'agents:',
      ...[...pool.agents.all()].map(
        (a) =>
          `  ${a.agentId} cap ${a.capacity} [${[...a.capabilities].join(',')}] ${(a.channel as SimConnection).sessionId} ${a.lastState} inFlight ${[...a.inFlight].join(' ')}`,
      ),
      `agent events${agentIds.size > 0 ? ` of ${[...agentIds].join(', ')}` : ''}:`,
      ...(agentIds.size > 0 ? events : this.fleet.events).slice(-12).map((e) => `  ${e}`),
      ...[...ids].slice(0, 4).flatMap((id) => {
        const t = store.get(id);
        return [
          `task ${id}: ${t?.state} epoch ${t?.epoch} on ${t?.agentId} caps [${t?.requiredCapabilities.join(',')}] cancelRequested ${t?.cancelRequested}`,
          `  history: ${(this.ledger.history.get(id) ?? []).map((x) => `${x.at}:${x.state}#${x.epoch}@${x.agentId ?? '-'}`).join(' ')}`,
          `  attempts: ${(t?.attempts ?? []).map((a) => `${a.epoch}@${a.agentId}:${a.outcome}`).join(' ')}`,
          `  calls: ${(this.fleet.callsByTask.get(id) ?? []).map((c) => `${c.params.epoch}@${c.agentId}/${c.conn.sessionId}:${c.ended ? `${c.ended.how}@${c.ended.at - this.t0}` : 'open'}`).join(' ')}`,
        ];
      }),
    ];
    throw new Error(lines.filter((l) => l !== '').join('\n'));
  }

  private elapsed(): number {
    return this.world.clock.now() - this.t0;
  }
}

describe('PoolService invariants under random agents', function () {
  this.timeout(20_000);

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${TASKS_PER_SEED} tasks through crashing, hanging, freezing and reconnecting agents`, async () => {
      await new Scenario(seed).run();
    });
  }
});
