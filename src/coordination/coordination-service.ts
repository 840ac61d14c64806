import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { ScoreSource } from '../routing/strategy.js';
import { SIGNAL_TYPES, type SignalType } from '../schemas/common.js';
import type { SignalInput } from '../schemas/coordination.js';
import type { Clock } from '../time/clock.js';
import type { HistoryEntry } from './agent-history.js';
import type { AgentSignals } from './agent-signals.js';
import { resolveOptions, type CoordinationOptions } from './coordination-options.js';
import { CoordinationCounters } from './coordination-counters.js';
import { decodeCursor, encodeCursor, indexAfter } from './cursor.js';
import { forecastFromSignals, type LoadSample } from './signal-forecast.js';
import { dimensionScore, dimensionValue } from './scoring.js';
import { byType, INVERTED_BY_INDEX, SIGNAL_COUNT, TYPE_INDEX } from './signal-index.js';
import { SignalStore } from './signal-store.js';
import type { SweepResult, SweepTally } from './sweeper.js';
import type { AgentCoordinationState, CoordinationStats, OverloadPrediction, StoredSignal } from './types.js';

/** Collaborators of the CoordinationService. */
export interface CoordinationDeps {
  clock: Clock;
  ids: IdGenerator;
  log?: Log;
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

/**
 * The agents registered with this daemon (its pool), signals or not: state() answers for each
 * (default scores until it reports), list() pages include them, and a sweep keeps them.
 */
export interface RegisteredAgents {
  has(agentId: string): boolean;
  ids(): Iterable<string>;
}

/** No agent registered (a service used on its own). */
export const NO_REGISTERED_AGENTS: RegisteredAgents = { has: () => false, ids: () => [] };

/** One page of agents, ordered by agentId. */
export interface AgentPage {
  agents: AgentCoordinationState[];
  nextCursor?: string;
  total: number;
}

export const DEFAULT_LIST_LIMIT = 100;
export const DEFAULT_HORIZON_SECONDS = 5;

const LOAD = TYPE_INDEX.load;

/**
 * Sensitivity signals per agent, their decaying scores, overload prediction and the sweep that
 * forgets what expired. Single-threaded and synchronous; all time comes from the injected clock.
 * Which agents are registered is passed to each query that needs it (the pool is built after this).
 */
export class CoordinationService implements ScoreSource {
  readonly options: Readonly<CoordinationOptions>;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly log: Log;
  private readonly onSweep: ((result: SweepResult) => void) | undefined;
  private readonly store: SignalStore;
  private readonly defaultTtlMs: number;
  private readonly counters = new CoordinationCounters();

  constructor(deps: CoordinationDeps, options: Partial<CoordinationOptions> = {}) {
    this.options = Object.freeze(resolveOptions(options));
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.log = deps.log ?? silentLog;
    this.onSweep = deps.onSweep;
    this.store = new SignalStore(
      this.options.maxHistorySize,
      Float64Array.from(SIGNAL_TYPES, (t) => this.options.weights[t]),
    );
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
    const signalId = this.ids();
    const goodness = dimensionValue(input.value, INVERTED_BY_INDEX[index]!);
    const row = this.store.add(input.agentId, index, signalId, input.traceId, input.value, input.confidence ?? 1, now, now + ttlMs, goodness);
    this.counters.accepted[index]!++;
    return { signalId, agentId: input.agentId, routingScore: this.store.scoreTerms(row, now) };
  }

  /** Count a signal the edge rejected (bad params, rate limit…), by type when it had a valid one. */
  recordRejected(signalType?: SignalType): void {
    if (signalType === undefined) this.counters.rejectedUntyped++;
    else this.counters.rejected[TYPE_INDEX[signalType]]!++;
  }

  /**
   * Weighted routing score in [0,1]; 0.5 for an unknown agent. Allocation-free. A caller scoring
   * many candidates for one decision may pass `now` (read once from the same clock): it saves a
   * clock read per candidate and scores every candidate at the same instant.
   */
  /** The injected clock's time (ScoreSource). */
  now(): number {
    return this.clock.now();
  }

  routingScore(agentId: string, now: number = this.clock.now()): number {
    return this.store.score(agentId, now);
  }

  /** Whether the agent has at least one signal that has not expired. */
  hasLiveSignal(agentId: string, now: number = this.clock.now()): boolean {
    return this.store.hasLive(agentId, now);
  }

  /** Every tracked agent id, ascending. The array is shared: do not mutate it. */
  knownAgents(): readonly string[] {
    return this.store.sortedIds();
  }

  /**
   * One agent's signals, scores and overload outlook; default scores (0.5, no signals,
   * lastUpdated 0) for a registered agent that has sent none; UNKNOWN_AGENT for any other.
   */
  state(agentId: string, registered: RegisteredAgents = NO_REGISTERED_AGENTS): AgentCoordinationState {
    const agent = this.store.get(agentId);
    if (agent === undefined && registered.has(agentId)) return this.defaultState(agentId, this.clock.now());
    return this.stateOf(agent ?? this.require(agentId), this.clock.now());
  }

  /** A page of agent states ordered by agentId: every agent with signals and every registered one. */
  list(options: ListOptions = {}, registered: RegisteredAgents = NO_REGISTERED_AGENTS): AgentPage {
    const ids = this.listedAgents(registered);
    const limit = Math.max(1, Math.floor(options.limit ?? DEFAULT_LIST_LIMIT));
    const start = options.cursor === undefined ? 0 : indexAfter(ids, decodeCursor(options.cursor));
    const end = Math.min(ids.length, start + limit);
    const now = this.clock.now();
    const agents: AgentCoordinationState[] = [];
    for (let i = start; i < end; i++) {
      const agent = this.store.get(ids[i]!);
      agents.push(agent ? this.stateOf(agent, now) : this.defaultState(ids[i]!, now));
    }
    const page: AgentPage = { agents, total: ids.length };
    if (end < ids.length) page.nextCursor = encodeCursor(ids[end - 1]!);
    return page;
  }

  /** The agent's live history of one type (numbers only, no ids), oldest first; throws UNKNOWN_AGENT. */
  history(agentId: string, signalType: SignalType): HistoryEntry[] {
    const agent = this.require(agentId);
    const now = this.clock.now();
    return agent.history.toArray(TYPE_INDEX[signalType]).filter((e) => now < e.expiresAt);
  }

  /**
   * Predict the agent's load `horizonSeconds` ahead from the trend of its load reports (see
   * signal-forecast.ts; the daemon blends in its pool's own forecast: load-forecasts.ts);
   * throws UNKNOWN_AGENT for an agent with no signals.
   */
  predictOverload(agentId: string, horizonSeconds = DEFAULT_HORIZON_SECONDS): OverloadPrediction {
    const prediction = this.signalForecast(this.require(agentId), this.clock.now(), horizonSeconds);
    this.countPrediction(prediction);
    return prediction;
  }

  /** Count a prediction a client asked for (coordination.metrics), whatever made it. */
  countPrediction(prediction: OverloadPrediction): void {
    this.counters.predictions++;
    if (prediction.willOverload) this.counters.overloadsPredicted++;
  }

  /** The agent's newest live load report and how many are live; undefined for an agent with no signals. */
  loadReports(agentId: string): { newest: LoadSample | undefined; live: number } | undefined {
    const agent = this.store.get(agentId);
    if (agent === undefined) return undefined;
    const now = this.clock.now();
    return { newest: this.newestLoad(agent, now), live: this.liveLoadSamples(agent, now) };
  }

  /**
   * The same forecast as predictOverload, for the router: not counted in the prediction metrics
   * (those count what clients asked), and undefined for an unknown agent instead of throwing.
   */
  forecastLoad(agentId: string, horizonSeconds = DEFAULT_HORIZON_SECONDS): OverloadPrediction | undefined {
    const agent = this.store.get(agentId);
    return agent ? this.signalForecast(agent, this.clock.now(), horizonSeconds) : undefined;
  }

  /** When the agent's latest signal arrived (clock ms), undefined if it has none. */
  lastSignalAt(agentId: string): number | undefined {
    const agent = this.store.get(agentId);
    return agent === undefined || agent.lastUpdated === 0 ? undefined : agent.lastUpdated;
  }

  /** Forget an agent now (e.g. it deregistered); returns whether it was known. */
  forget(agentId: string): boolean {
    return this.store.delete(agentId);
  }

  /** Remove expired signals and history, forget agents left with none that are not registered. */
  sweep(registered: Pick<RegisteredAgents, 'has'> = NO_REGISTERED_AGENTS): SweepResult {
    const started = this.clock.elapsed();
    const tally: SweepTally = { removedSignals: 0, removedHistory: 0, forgottenAgents: 0, removedByIndex: new Float64Array(SIGNAL_COUNT) };
    this.store.sweep(this.clock.now(), (agentId) => registered.has(agentId), tally);
    for (let i = 0; i < SIGNAL_COUNT; i++) this.counters.expired[i]! += tally.removedByIndex[i]!;
    const result: SweepResult = {
      removedSignals: tally.removedSignals,
      removedByType: byType(tally.removedByIndex),
      removedHistory: tally.removedHistory,
      forgottenAgents: tally.forgottenAgents,
      durationMs: this.clock.elapsed() - started,
    };
    this.counters.sweepRuns++;
    this.counters.lastSweepDurationMs = result.durationMs;
    this.counters.lastSweepRemovedSignals = result.removedSignals;
    if (this.onSweep !== undefined) {
      try {
        this.onSweep(result);
      } catch (err) {
        this.log.error({ err }, 'onSweep listener failed');
      }
    }
    return result;
  }

  /** Counters in the shape of the CoordinationMetrics schema (the parts this service owns). */
  stats(): CoordinationStats {
    return this.counters.snapshot(this.store.size);
  }

  private require(agentId: string): AgentSignals {
    const agent = this.store.get(agentId);
    if (agent === undefined) throw new AppError('UNKNOWN_AGENT', `no signals recorded for agent ${JSON.stringify(agentId)}`, { agentId });
    return agent;
  }

  /** Agents with signals and registered agents, ascending, each once. */
  private listedAgents(registered: RegisteredAgents): readonly string[] {
    const known = this.knownAgents();
    const extra: string[] = [];
    for (const id of registered.ids()) if (this.store.get(id) === undefined) extra.push(id);
    if (extra.length === 0) return known;
    return [...known, ...extra].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** A registered agent that has sent no signal: every dimension 0.5, no load trend. */
  private defaultState(agentId: string, now: number): AgentCoordinationState {
    const scores = {} as Record<SignalType, number>;
    for (const t of SIGNAL_TYPES) scores[t] = dimensionScore(undefined, INVERTED_BY_INDEX[TYPE_INDEX[t]]!, now);
    return {
      agentId,
      signals: [],
      scores,
      routingScore: this.store.score(agentId, now),
      lastUpdated: 0,
      overload: forecastFromSignals([], now, DEFAULT_HORIZON_SECONDS, this.options.overloadThreshold),
    };
  }

  private stateOf(agent: AgentSignals, now: number): AgentCoordinationState {
    const signals: StoredSignal[] = [];
    const scores = {} as Record<SignalType, number>;
    for (let i = 0; i < SIGNAL_COUNT; i++) {
      const latest = this.store.latest(agent.row, i, now);
      if (latest !== undefined) signals.push(latest);
      scores[SIGNAL_TYPES[i]!] = dimensionScore(latest, INVERTED_BY_INDEX[i]!, now);
    }
    return {
      agentId: agent.agentId,
      signals,
      scores,
      routingScore: this.store.scoreRow(agent.row, now),
      lastUpdated: agent.lastUpdated,
      overload: this.signalForecast(agent, now, DEFAULT_HORIZON_SECONDS),
    };
  }

  /** The agent's newest live load report, if any. */
  private newestLoad(agent: AgentSignals, now: number): LoadSample | undefined {
    const h = agent.history;
    let newest: LoadSample | undefined;
    for (let i = 0; i < h.size(LOAD); i++) {
      if (now < h.expiresAt(LOAD, i) && (newest === undefined || h.timestamp(LOAD, i) >= newest.timestamp))
        newest = { value: h.value(LOAD, i), timestamp: h.timestamp(LOAD, i) };
    }
    return newest;
  }

  private liveLoadSamples(agent: AgentSignals, now: number): number {
    const h = agent.history;
    let n = 0;
    for (let i = 0; i < h.size(LOAD); i++) if (now < h.expiresAt(LOAD, i)) n++;
    return n;
  }

  private signalForecast(agent: AgentSignals, now: number, horizonSeconds: number): OverloadPrediction {
    const samples: LoadSample[] = [];
    const h = agent.history;
    for (let i = 0; i < h.size(LOAD); i++) {
      if (now < h.expiresAt(LOAD, i)) samples.push({ value: h.value(LOAD, i), timestamp: h.timestamp(LOAD, i) });
    }
    return forecastFromSignals(samples, now, horizonSeconds, this.options.overloadThreshold);
  }
}
