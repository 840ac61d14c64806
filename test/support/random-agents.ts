import { AgentCallError } from '../../src/agent-call-error.js';
import type { AgentChannel } from '../../src/pool/agent-channel.js';
import { MemoryTaskStore } from '../../src/pool/memory-task-store.js';
import type { PoolObserver } from '../../src/pool/pool-observer.js';
import type { PoolOptions } from '../../src/pool/pool-options.js';
import { PoolService } from '../../src/pool/pool-service.js';
import { sequentialIds } from '../../src/ids.js';
import { randomInt, seededRandom, type Random } from '../../src/random.js';
import { AgentRouter } from '../../src/routing/agent-router.js';
import type { TaskRunParams } from '../../src/schemas/task.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

/**
 * Fake agents that behave at random, for the pool's randomized invariant test. Every agent answer,
 * connection close and channel timeout is an event on an Agenda, so the driver can step the
 * VirtualClock from event to event and let promise callbacks run between them, the way the
 * event loop would.
 */

/** Simulation events in time order (FIFO at equal times). */
export class Agenda {
  private readonly heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  at(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Run every event due at or before `now`, including those the events themselves schedule. */
  runDue(now: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= now) this.pop().run();
  }

  private pop(): { at: number; seq: number; run: () => void } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: { at: number; seq: number }, b: { at: number; seq: number }): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** How a call ended, as the agent (or its connection) ended it. */
export type CallEnd = 'completed' | 'failed' | 'fatal' | 'timeout' | 'disconnected';

/** One task.run an agent received. */
export interface SimCall {
  readonly params: TaskRunParams;
  readonly agentId: string;
  readonly conn: SimConnection;
  readonly receivedAt: number;
  /** Undefined while the call is open. */
  ended: { how: CallEnd; at: number } | undefined;
  resolve(result: unknown): void;
  reject(error: AgentCallError): void;
}

/** One connection of an agent: what the pool holds as its AgentChannel. */
export class SimConnection implements AgentChannel {
  /** open → closing (the pool asked to close it) → closed (the transport noticed). */
  state: 'open' | 'closing' | 'closed' = 'open';
  readonly open = new Set<SimCall>();

  constructor(
    readonly agent: SimAgent,
    readonly sessionId: string,
    private readonly fleet: AgentFleet,
  ) {}

  runTask(params: TaskRunParams, timeoutMs: number): Promise<unknown> {
    return this.fleet.received(this, params, timeoutMs);
  }

  request(method: string): Promise<unknown> {
    return Promise.reject(new AgentCallError('remote', `${method} is not simulated`));
  }

  notify(method: string, params: object): void {
    if (method === 'task.cancel') this.fleet.cancelRequested(this, params as { taskId: string; epoch: number });
  }

  close(): void {
    this.fleet.closedByPool(this);
  }
}

/** A simulated agent process; it keeps its id across connections (reconnects, takeovers). */
export interface SimAgent {
  readonly agentId: string;
  capacity: number;
  capabilities: string[];
  /** Its current connection; undefined while offline. */
  conn: SimConnection | undefined;
  /** Frozen: sends no heartbeats and answers nothing. */
  frozen: boolean;
  lastBeat: number;
  /** Despawned: never comes back. */
  retired: boolean;
}

/** Relative weights of what an agent does with a task.run. */
export interface BehaviourMix {
  /** Answer with a result before the timeout. */
  complete: number;
  /** Answer with a result after the pool's timeout (a stale answer, or none at all once the channel timed out). */
  late: number;
  /** Answer with a retryable error. */
  fail: number;
  /** Answer with an error marked retryable: false. */
  fatal: number;
  /** Never answer. */
  hang: number;
  /** The whole agent's connection drops before it answers. */
  crash: number;
  /** Answer, then drop the connection in the same tick (the answer must not count). */
  answerThenCrash: number;
}

/** What the test wants to see as it happens; the fleet only reports. */
export interface FleetHooks {
  /** The pool sent task.run (called synchronously inside the pool's dispatch). */
  dispatched?(call: SimCall): void;
  /** The agent sent task.progress and the pool accepted it or not. */
  progressed?(call: SimCall, reporter: string, accepted: boolean): void;
  /** Something the fleet itself noticed that should never happen. */
  violation?(message: string): void;
}

export const CAPABILITIES = ['text', 'code', 'gpu', 'web'] as const;
/** Held by few agents, so tasks needing it wait. */
export const RARE = 'rare';

/** A pool on a VirtualClock with a seeded router and a big store, observed by `observer`. */
export function simPool(seed: number, observer: PoolObserver, options: Partial<PoolOptions> = {}) {
  const clock = new VirtualClock();
  const random = seededRandom(seed ^ 0x5eed);
  // Some agents have live signals, so RIPPLE_COORDINATION really scores instead of always falling back.
  const digit = (id: string): number => id.charCodeAt(id.length - 1) % 10;
  const scores = { now: () => clock.now(), routingScore: (id: string) => digit(id) / 10, hasLiveSignal: (id: string) => digit(id) % 3 === 0 };
  const router = new AgentRouter({ random, scores }, { enableRep: true, defaultStrategy: 'LEAST_LOADED' });
  const store = new MemoryTaskStore({ clock }, { retentionMs: 24 * 3_600_000, retentionCount: 1_000_000 });
  const pool = new PoolService({ clock, ids: sequentialIds('t'), random, router, store, observer }, options);
  return { clock, pool, store };
}

/** The fake agents: joining, answering at random, freezing, crashing, reconnecting, taking over, despawning. */
export class AgentFleet {
  readonly agents = new Map<string, SimAgent>();
  readonly callsByTask = new Map<string, SimCall[]>();
  readonly connections = new Set<SimConnection>();
  mix: BehaviourMix;
  /** Counters, for the report and to prove the scenario exercised what it claims. */
  readonly stats = { joins: 0, crashes: 0, freezes: 0, takeovers: 0, despawns: 0, rejoins: 0, cancelsForUnknownCalls: 0, lateAnswers: 0, progress: 0 };
  /** Agent lifecycle events, newest last, for failure dumps. */
  readonly events: string[] = [];
  private nextAgent = 0;
  private nextSession = 0;
  private readonly t0: number;

  constructor(
    private readonly deps: { pool: PoolService; clock: VirtualClock; random: Random; agenda: Agenda },
    mix: BehaviourMix,
    private readonly hooks: FleetHooks = {},
  ) {
    this.mix = mix;
    this.t0 = deps.clock.now();
  }

  get online(): SimAgent[] {
    return [...this.agents.values()].filter((a) => a.conn?.state === 'open');
  }

  /** A new agent with random capacity (1–4) and capabilities; `rare` ones also hold RARE. */
  join(shape: { capabilities?: string[]; capacity?: number } = {}): SimAgent {
    const agent: SimAgent = {
      agentId: `ag-${++this.nextAgent}`,
      capacity: shape.capacity ?? 1 + randomInt(this.deps.random, 4),
      capabilities: shape.capabilities ?? this.randomCapabilities(),
      conn: undefined,
      frozen: false,
      lastBeat: 0,
      retired: false,
    };
    this.agents.set(agent.agentId, agent);
    this.stats.joins++;
    this.connect(agent);
    return agent;
  }

  /** Register on a new connection; when the agent is still connected this is a takeover (the pool closes the old one). */
  connect(agent: SimAgent): void {
    const conn = new SimConnection(agent, `s${++this.nextSession}`, this);
    this.connections.add(conn);
    const { capacity, capabilities } = agent;
    const old = agent.conn?.state === 'open' ? agent.conn.sessionId : undefined;
    this.note(`${old ? `takeover ${old}→` : 'register '}${conn.sessionId} ${agent.agentId} cap ${capacity} [${capabilities.join(',')}]`);
    this.deps.pool.register({
      agentId: agent.agentId,
      capacity,
      capabilities,
      channel: conn,
      sessionId: conn.sessionId,
      contextWindowId: `ctx-${agent.agentId}`,
    });
    agent.conn = conn;
    agent.frozen = false;
    agent.lastBeat = this.deps.clock.now();
  }

  /** The same agent id registers again from a new connection, sometimes with a new capacity or capabilities. */
  takeover(agent: SimAgent, reshape: boolean): void {
    this.stats.takeovers++;
    if (reshape) {
      agent.capacity = 1 + randomInt(this.deps.random, 4);
      agent.capabilities = this.randomCapabilities(agent.capabilities.includes(RARE));
    }
    this.connect(agent);
  }

  /** The agent's connection drops; it may come back later with the same id. */
  crash(agent: SimAgent, rejoinAfterMs: number | undefined): void {
    if (!agent.conn || agent.conn.state === 'closed') return;
    this.stats.crashes++;
    this.connectionLost(agent.conn);
    if (rejoinAfterMs !== undefined) this.rejoinLater(agent, rejoinAfterMs);
  }

  /** Stop heartbeating and answering for `ms`; back on the same connection if the pool kept it, else on a new one. */
  freeze(agent: SimAgent, ms: number): void {
    if (agent.frozen || !agent.conn || agent.conn.state !== 'open') return;
    this.stats.freezes++;
    this.note(`freeze ${agent.agentId} for ${ms} ms`);
    agent.frozen = true;
    const conn = agent.conn;
    this.deps.agenda.at(this.now() + ms, () => {
      agent.frozen = false;
      if (agent.retired) return;
      if (agent.conn === conn && conn.state === 'open') this.beat(agent);
      else if (!agent.conn) {
        this.stats.rejoins++;
        this.connect(agent);
      }
    });
  }

  /** Despawn: drain, then close the connection; the agent never comes back. */
  despawn(agent: SimAgent, drainMs: number): void {
    if (agent.retired || !agent.conn || agent.conn.state !== 'open') return;
    this.stats.despawns++;
    this.note(`despawn ${agent.agentId}`);
    agent.retired = true;
    const conn = agent.conn;
    void this.deps.pool.drain(agent.agentId, drainMs).then(() => {
      if (conn.state !== 'closed') this.connectionLost(conn);
    });
  }

  /** Heartbeat every connected, unfrozen agent whose interval is up. */
  heartbeats(intervalMs: number): void {
    for (const agent of this.agents.values()) {
      if (agent.conn?.state === 'open' && !agent.frozen && this.now() - agent.lastBeat >= intervalMs) this.beat(agent);
    }
  }

  /** Report progress on a random call (open or long finished) as its agent, or as another agent; the pool must accept exactly the current ones. */
  reportProgress(): void {
    const ids = [...this.callsByTask.keys()];
    if (ids.length === 0) return;
    const calls = this.callsByTask.get(ids[randomInt(this.deps.random, ids.length)]!)!;
    const call = calls[randomInt(this.deps.random, calls.length)]!;
    const reporter = this.deps.random.next() < 0.8 ? call.agentId : `ag-${1 + randomInt(this.deps.random, this.nextAgent)}`;
    this.progress(call, reporter);
  }

  // ---- the AgentChannel side -------------------------------------------------------------------

  /** task.run arrived on `conn`: record it, arm the channel's own timeout, decide what to do. */
  received(conn: SimConnection, params: TaskRunParams, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call: SimCall = { params, agentId: conn.agent.agentId, conn, receivedAt: this.now(), ended: undefined, resolve, reject };
      const list = this.callsByTask.get(params.taskId) ?? [];
      list.push(call);
      this.callsByTask.set(params.taskId, list);
      if (conn.state !== 'open')
        this.hooks.violation?.(`task.run ${params.taskId}#${params.epoch} sent on ${conn.state} connection ${conn.sessionId} of ${call.agentId}`);
      this.hooks.dispatched?.(call);
      if (conn.state === 'closed') {
        this.end(call, 'disconnected');
        return;
      }
      conn.open.add(call);
      // Like RpcPeer: the transport gives up on its own after timeoutMs.
      this.deps.agenda.at(this.now() + timeoutMs, () => this.end(call, 'timeout'));
      this.behave(call, (params.deadline ?? this.now() + timeoutMs - 1000) - this.now());
    });
  }

  cancelRequested(conn: SimConnection, params: { taskId: string; epoch: number }): void {
    const call = [...conn.open].find((c) => c.params.taskId === params.taskId && c.params.epoch === params.epoch);
    if (!call) {
      // Normal after a takeover (the cancel goes to the new connection) or once the call ended.
      this.stats.cancelsForUnknownCalls++;
      return;
    }
    if (this.deps.random.next() < 0.4) return; // ignores it: the pool's timeout ends the attempt
    const how: CallEnd = this.deps.random.next() < 0.7 ? 'fatal' : 'completed';
    this.deps.agenda.at(this.now() + 1 + randomInt(this.deps.random, 50), () => this.answer(call, how));
  }

  /** The pool closed the connection (takeover, liveness removal): the transport notices a little later. */
  closedByPool(conn: SimConnection): void {
    if (conn.state !== 'open') return;
    conn.state = 'closing';
    this.deps.agenda.at(this.now() + randomInt(this.deps.random, 150), () => this.connectionLost(conn));
  }

  /** The transport's onclose, as the daemon handles it: fail pending calls, then tell the pool. */
  connectionLost(conn: SimConnection): void {
    if (conn.state === 'closed') return;
    this.note(`${conn.state === 'closing' ? 'closed' : 'dropped'} ${conn.sessionId} ${conn.agent.agentId}, failing ${conn.open.size} calls`);
    conn.state = 'closed';
    for (const call of [...conn.open]) this.end(call, 'disconnected');
    this.deps.pool.disconnected(conn.agent.agentId, conn.sessionId);
    if (conn.agent.conn === conn) conn.agent.conn = undefined;
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private behave(call: SimCall, timeoutMs: number): void {
    const r = this.deps.random;
    const m = this.mix;
    const total = m.complete + m.late + m.fail + m.fatal + m.hang + m.crash + m.answerThenCrash;
    let x = r.next() * total;
    const within = (): number => this.now() + 1 + randomInt(r, Math.max(1, Math.floor(timeoutMs * 0.9)));
    const agent = call.conn.agent;
    if (r.next() < 0.3) this.deps.agenda.at(within(), () => this.progress(call, call.agentId));
    if ((x -= m.complete) < 0) this.deps.agenda.at(within(), () => this.answer(call, 'completed'));
    else if ((x -= m.late) < 0) {
      this.deps.agenda.at(this.now() + timeoutMs + randomInt(r, 1500), () => {
        if (!call.ended) this.stats.lateAnswers++;
        this.answer(call, 'completed');
      });
    } else if ((x -= m.fail) < 0) this.deps.agenda.at(within(), () => this.answer(call, 'failed'));
    else if ((x -= m.fatal) < 0) this.deps.agenda.at(within(), () => this.answer(call, 'fatal'));
    else if ((x -= m.hang) < 0) return;
    else if ((x -= m.crash) < 0) {
      this.deps.agenda.at(within(), () => {
        if (agent.conn === call.conn) this.crash(agent, this.rejoinDelay());
      });
    } else {
      this.deps.agenda.at(within(), () => {
        if (agent.frozen || agent.conn !== call.conn) return;
        this.answer(call, 'completed');
        this.crash(agent, this.rejoinDelay());
      });
    }
  }

  /** The agent answers, unless it is frozen or the call already ended. */
  private answer(call: SimCall, how: CallEnd): void {
    if (call.conn.agent.frozen) return;
    this.end(call, how);
  }

  private end(call: SimCall, how: CallEnd): void {
    if (call.ended) return;
    call.ended = { how, at: this.now() };
    call.conn.open.delete(call);
    const { taskId, epoch } = call.params;
    if (how === 'completed') call.resolve({ taskId, epoch, agentId: call.agentId });
    else if (how === 'timeout') call.reject(new AgentCallError('timeout', 'no reply'));
    else if (how === 'disconnected') call.reject(new AgentCallError('disconnected', 'connection closed'));
    else {
      const data = how === 'fatal' ? { retryable: false } : this.deps.random.next() < 0.5 ? { retryable: true } : undefined;
      call.reject(new AgentCallError('remote', `${how} ${taskId}#${epoch}`, { code: -32000, message: `${how} ${taskId}#${epoch}`, data }));
    }
  }

  private progress(call: SimCall, reporter: string): void {
    if (call.conn.agent.frozen && reporter === call.agentId) return;
    this.stats.progress++;
    const { taskId, epoch } = call.params;
    const accepted = this.deps.pool.progress(reporter, { taskId, epoch, progress: this.deps.random.next() });
    this.hooks.progressed?.(call, reporter, accepted);
  }

  private beat(agent: SimAgent): void {
    agent.lastBeat = this.now();
    try {
      this.deps.pool.heartbeat(agent.agentId, {});
    } catch (err) {
      this.hooks.violation?.(`heartbeat of connected ${agent.agentId} (${agent.conn?.sessionId}) refused: ${String(err)}`);
    }
  }

  private rejoinLater(agent: SimAgent, ms: number | undefined): void {
    if (ms === undefined) return;
    this.deps.agenda.at(this.now() + ms, () => {
      if (agent.retired || agent.conn) return;
      this.stats.rejoins++;
      this.connect(agent);
    });
  }

  /** Most crashed agents come back within a few seconds. */
  private rejoinDelay(): number | undefined {
    return this.deps.random.next() < 0.7 ? 50 + randomInt(this.deps.random, 3000) : undefined;
  }

  private randomCapabilities(rare = this.deps.random.next() < 0.1): string[] {
    const caps = CAPABILITIES.filter(() => this.deps.random.next() < 0.5);
    return rare ? [...caps, RARE] : caps;
  }

  private note(event: string): void {
    this.events.push(`${this.now() - this.t0}: ${event}`);
    if (this.events.length > 400) this.events.splice(0, 200);
  }

  private now(): number {
    return this.deps.clock.now();
  }
}
