import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { ScoreSource } from '../routing/strategy.js';
import { SIGNAL_TYPES, type SignalType } from '../schemas/common.js';
import type { SignalInput } from '../schemas/coordination.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { AgentSignals } from './agent-signals.js';
import { resolveOptions, type CoordinationOptions } from './coordination-options.js';
import { CoordinationCounters } from './coordination-counters.js';
import { decodeCursor, encodeCursor, indexAfter } from './cursor.js';
import { predictOverload, type LoadSample } from './overload-predictor.js';
import { dimensionScore, dimensionValue } from './scoring.js';
import { byType, INVERTED_BY_INDEX, SIGNAL_COUNT, TYPE_INDEX } from './signal-index.js';
import { sweepAgents, type SweepResult, type SweepTally } from './sweeper.js';
import type { AgentCoordinationState, CoordinationStats, OverloadPrediction, StoredSignal } from './types.js';

/** Collaborators of the CoordinationService. */
export interface CoordinationDeps {
  clock: Clock;
  ids: IdGenerator;
  log?: Log;
  /** The sweeper keeps an agent with no live signal while this says it is connected. Default: never. */
  isConnected?: (agentId: string) => boolean;
  /** Called after every sweep, e.g. to count sweeps in Prometheus. */
  onSweep?: (result: SweepResult) => void;
}

/** Reply to one accepted signal. */
export interface RecordResult {
  signalId: string;
  agentId: string;
  routingScore: number;
}

/** Paging request for `list`. */
export interface ListOptions {
  /** Opaque cursor from a previous page's nextCursor. */
  cursor?: string;
  /** Page size. @defaultValue 100 */
  limit?: number;
}

/** One page of agents, ordered by agentId. */
export interface AgentPage {
  agents: AgentCoordinationState[];
  nextCursor?: string;
  total: number;
}

export const DEFAULT_LIST_LIMIT = 100;
export const DEFAULT_HORIZON_SECONDS = 5;

const LOAD = TYPE_INDEX.load;
const never = (): boolean => false;

/**
 * Sensitivity signals per agent, their decaying scores, overload prediction and the sweeper that
 * forgets what expired. Single-threaded and synchronous; all time comes from the injected clock.
 */
export class CoordinationService implements ScoreSource {
  readonly options: Readonly<CoordinationOptions>;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly log: Log;
  private readonly isConnected: (agentId: string) => boolean;
  private readonly onSweep: ((result: SweepResult) => void) | undefined;
  private readonly agents = new Map<string, AgentSignals>();
  /** Agent ids in ascending order; rebuilt lazily after agents come or go. */
  private sortedIds: string[] | undefined;
  private readonly weightByIndex: Float64Array;
  private readonly defaultTtlMs: number;
  private readonly counters = new CoordinationCounters();
  private timer: TimerHandle | undefined;

  constructor(deps: CoordinationDeps, options: Partial<CoordinationOptions> = {}) {
    this.options = Object.freeze(resolveOptions(options));
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.log = deps.log ?? silentLog;
    this.isConnected = deps.isConnected ?? never;
    this.onSweep = deps.onSweep;
    this.weightByIndex = Float64Array.from(SIGNAL_TYPES, (t) => this.options.weights[t]);
    this.defaultTtlMs = Math.max(1, Math.round(this.options.signalTtlMs));
  }

  /** Whether the Ripple Effect Protocol should steer routing (the router falls back when false). */
  get repEnabled(): boolean {
    return this.options.enableRep;
  }

  /** Store one signal (already validated at the edge) and return the agent's new routing score. */
  record(input: SignalInput): RecordResult {
    const index = TYPE_INDEX[input.signalType];
    const now = this.clock.now();
    const ttlMs = input.ttlSeconds === undefined ? this.defaultTtlMs : Math.max(1, Math.round(input.ttlSeconds * 1000));
    const signal: StoredSignal = {
      signalId: this.ids(),
      signalType: input.signalType,
      value: input.value,
      confidence: input.confidence ?? 1,
      timestamp: now,
      expiresAt: now + ttlMs,
      traceId: input.traceId,
    };
    let agent = this.agents.get(input.agentId);
    if (agent === undefined) {
      agent = new AgentSignals(input.agentId, this.options.maxHistorySize);
      this.agents.set(input.agentId, agent);
      this.sortedIds = undefined;
    }
    agent.set(index, signal, dimensionValue(input.value, INVERTED_BY_INDEX[index]!), this.weightByIndex[index]!);
    this.counters.accepted[index]!++;
    return { signalId: signal.signalId, agentId: input.agentId, routingScore: agent.score(now) };
  }

  /** Count a signal the edge rejected (bad params, rate limit…), by type when it had a valid one. */
  recordRejected(signalType?: SignalType): void {
    if (signalType === undefined) this.counters.rejectedUntyped++;
    else this.counters.rejected[TYPE_INDEX[signalType]]!++;
  }

  /** Weighted routing score in [0,1]; 0.5 for an unknown agent. Allocation-free. */
  routingScore(agentId: string): number {
    const agent = this.agents.get(agentId);
    return agent === undefined ? 0.5 : agent.score(this.clock.now());
  }

  /** Whether the agent has at least one signal that has not expired. */
  hasLiveSignal(agentId: string): boolean {
    const agent = this.agents.get(agentId);
    return agent !== undefined && agent.hasLive(this.clock.now());
  }

  /** Every tracked agent id, ascending. The array is shared: do not mutate it. */
  knownAgents(): readonly string[] {
    if (this.sortedIds === undefined) this.sortedIds = [...this.agents.keys()].sort();
    return this.sortedIds;
  }

  /** One agent's signals, scores and overload outlook; throws UNKNOWN_AGENT. */
  state(agentId: string): AgentCoordinationState {
    return this.stateOf(this.require(agentId), this.clock.now());
  }

  /** A page of agent states ordered by agentId. */
  list(options: ListOptions = {}): AgentPage {
    const ids = this.knownAgents();
    const limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_LIST_LIMIT));
    const start = options.cursor === undefined ? 0 : indexAfter(ids, decodeCursor(options.cursor));
    const end = Math.min(ids.length, start + limit);
    const now = this.clock.now();
    const agents: AgentCoordinationState[] = [];
    for (let i = start; i < end; i++) agents.push(this.stateOf(this.agents.get(ids[i]!)!, now));
    const page: AgentPage = { agents, total: ids.length };
    if (end < ids.length) page.nextCursor = encodeCursor(ids[end - 1]!);
    return page;
  }

  /** The agent's live history of one type, oldest first; throws UNKNOWN_AGENT. */
  history(agentId: string, signalType: SignalType): StoredSignal[] {
    const agent = this.require(agentId);
    const now = this.clock.now();
    const h = agent.history[TYPE_INDEX[signalType]];
    if (h === undefined) return [];
    const out: StoredSignal[] = [];
    for (let i = 0; i < h.size; i++) {
      const s = h.at(i)!;
      if (now < s.expiresAt) out.push(copySignal(s));
    }
    return out;
  }

  /** Predict the agent's load `horizonSeconds` ahead (see overload-predictor.ts); throws UNKNOWN_AGENT. */
  predictOverload(agentId: string, horizonSeconds = DEFAULT_HORIZON_SECONDS): OverloadPrediction {
    const prediction = this.predictionOf(this.require(agentId), this.clock.now(), horizonSeconds);
    this.counters.predictions++;
    if (prediction.willOverload) this.counters.overloadsPredicted++;
    return prediction;
  }

  /** Forget an agent now (e.g. it deregistered); returns whether it was known. */
  forget(agentId: string): boolean {
    const known = this.agents.delete(agentId);
    if (known) this.sortedIds = undefined;
    return known;
  }

  /** Remove expired signals and history, forget idle disconnected agents. */
  sweep(): SweepResult {
    const started = performance.now();
    const tally: SweepTally = { removedSignals: 0, removedHistory: 0, forgottenAgents: 0, removedByIndex: new Float64Array(SIGNAL_COUNT) };
    sweepAgents(this.agents, this.clock.now(), this.isConnected, tally);
    if (tally.forgottenAgents > 0) this.sortedIds = undefined;
    for (let i = 0; i < SIGNAL_COUNT; i++) this.counters.expired[i]! += tally.removedByIndex[i]!;
    const result: SweepResult = {
      removedSignals: tally.removedSignals,
      removedByType: byType(tally.removedByIndex),
      removedHistory: tally.removedHistory,
      forgottenAgents: tally.forgottenAgents,
      durationMs: performance.now() - started,
    };
    this.counters.sweepRuns++;
    this.counters.lastSweepDurationMs = result.durationMs;
    this.counters.lastSweepRemovedSignals = result.removedSignals;
    this.onSweep?.(result);
    return result;
  }

  /** Sweep every cleanupIntervalMs on the injected clock. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setInterval(() => {
      try {
        const r = this.sweep();
        this.log.debug({ removedSignals: r.removedSignals, forgottenAgents: r.forgottenAgents, durationMs: r.durationMs }, 'coordination sweep');
      } catch (err) {
        this.log.error({ err }, 'coordination sweep failed');
      }
    }, this.options.cleanupIntervalMs);
  }

  /** Cancel the sweeper timer. Idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Counters in the shape of the CoordinationMetrics schema (the parts this service owns). */
  stats(): CoordinationStats {
    return this.counters.snapshot(this.agents.size);
  }

  private require(agentId: string): AgentSignals {
    const agent = this.agents.get(agentId);
    if (agent === undefined) throw new AppError('UNKNOWN_AGENT', `no signals recorded for agent ${JSON.stringify(agentId)}`, { agentId });
    return agent;
  }

  private stateOf(agent: AgentSignals, now: number): AgentCoordinationState {
    const signals: StoredSignal[] = [];
    const scores = {} as Record<SignalType, number>;
    for (let i = 0; i < SIGNAL_COUNT; i++) {
      const latest = agent.latest[i];
      if (latest !== undefined && now < latest.expiresAt) signals.push(copySignal(latest));
      scores[SIGNAL_TYPES[i]!] = dimensionScore(latest, INVERTED_BY_INDEX[i]!, now);
    }
    return {
      agentId: agent.agentId,
      signals,
      scores,
      routingScore: agent.score(now),
      lastUpdated: agent.lastUpdated,
      overload: this.predictionOf(agent, now, DEFAULT_HORIZON_SECONDS),
    };
  }

  private predictionOf(agent: AgentSignals, now: number, horizonSeconds: number): OverloadPrediction {
    const samples: LoadSample[] = [];
    const h = agent.history[LOAD];
    if (h !== undefined) {
      for (let i = 0; i < h.size; i++) {
        const s = h.at(i)!;
        if (now < s.expiresAt) samples.push(s);
      }
    }
    return predictOverload(samples, now, horizonSeconds, this.options.overloadThreshold);
  }
}

/** A caller-owned copy, without an absent traceId key. */
function copySignal(s: StoredSignal): StoredSignal {
  const { traceId, ...rest } = s;
  return traceId === undefined ? rest : { ...rest, traceId };
}
