import type { AgentHistory } from './agent-history.js';
import { AgentSignals } from './agent-signals.js';
import { IdColumn } from './id-column.js';
import { NEUTRAL_SCORE } from './scoring.js';
import { SIGNAL_COUNT } from './signal-index.js';
import type { SweepTally } from './sweeper.js';
import type { StoredSignal } from './types.js';
import { SIGNAL_TYPES } from '../schemas/common.js';

/** Per type in `terms`: weight·confidence·(s − 0.5), timestamp, 1/ttl. */
const TERMS = 3;
const TERM_ROW = SIGNAL_COUNT * TERMS;
/** Per row in `poly`: a0, a1, a2, a3, from, until (see rebuild). */
const POLY = 6;
const INITIAL_ROWS = 64;

/**
 * Every agent's signals. Each agent owns a row in a few flat typed arrays holding exactly what the
 * hot paths read, so routingScore is one Map lookup plus a cubic in `now` (no allocation, no
 * pointer chasing), and a sweep skips an agent by reading one number. Rows are reused after an
 * agent is forgotten (and cleared when handed out again); the arrays double when full.
 *
 * Why a cubic: freshness f(x) = 1 − 3x² + 2x³ and x = (now − t)/ttl is linear in now, so while
 * no term starts or expires the routing score is one polynomial in now. It is rebuilt lazily
 * when `now` leaves its window (a signal expired) or a new signal invalidated it.
 */
export class SignalStore {
  private readonly rowOf = new Map<string, number>();
  /** Agent per row; undefined for a free row. */
  private agents: (AgentSignals | undefined)[] = [];
  /** agentId and history per row, so a sweep reaches them without touching the agent object. */
  private idAt: (string | undefined)[] = [];
  private historyAt: (AgentHistory | undefined)[] = [];
  private readonly freeRows: number[] = [];
  private rowsUsed = 0;
  private sorted: string[] | undefined;
  /** Routing terms, TERM_ROW per row. */
  private terms = new Float64Array(INITIAL_ROWS * TERM_ROW);
  /** Routing score as a cubic in (now − from), valid for from <= now < until; POLY per row. */
  private poly = new Float64Array(INITIAL_ROWS * POLY);
  /** expiresAt of the latest signal per type, SIGNAL_COUNT per row; 0 = none. */
  private expiry = new Float64Array(INITIAL_ROWS * SIGNAL_COUNT);
  /** Per row, a lower bound of the earliest expiry among latest signals and history fronts. */
  private nextCheck = new Float64Array(INITIAL_ROWS).fill(Number.POSITIVE_INFINITY);
  /** Per row, 1 when no latest signal is live (the agent stays only while connected). */
  private dark = new Uint8Array(INITIAL_ROWS);
  /** Per row, entries held in the agent's history. */
  private historyCount = new Float64Array(INITIAL_ROWS);
  /**
   * The latest signal per type, as columns (SIGNAL_COUNT per row) rather than an object per
   * signal: an object would live until the agent's next signal of that type, long enough to be
   * copied by every young-generation GC and promoted. Its timestamp is in `terms`, its expiresAt
   * in `expiry`, its id in an IdColumn (as bytes, for the same reason); only traceIds, which are
   * rare, stay heap strings.
   */
  private latestValue = new Float64Array(INITIAL_ROWS * SIGNAL_COUNT);
  private latestConfidence = new Float64Array(INITIAL_ROWS * SIGNAL_COUNT);
  private readonly latestSignalId = new IdColumn(INITIAL_ROWS * SIGNAL_COUNT);
  private readonly latestTraceId = emptySlots(INITIAL_ROWS * SIGNAL_COUNT);

  constructor(
    private readonly historySize: number,
    /** Routing weight by type index, summing to 1. */
    private readonly weights: Float64Array,
  ) {}

  /** Number of agents. */
  get size(): number {
    return this.rowOf.size;
  }

  /** The agent's record, if known. */
  get(agentId: string): AgentSignals | undefined {
    const row = this.rowOf.get(agentId);
    return row === undefined ? undefined : this.agents[row];
  }

  /** Agent ids ascending; cached until agents come or go. Do not mutate. */
  sortedIds(): readonly string[] {
    if (this.sorted === undefined) this.sorted = [...this.rowOf.keys()].sort();
    return this.sorted;
  }

  /**
   * Make a signal the agent's latest of type `index` (creating the agent) and add it to history;
   * returns the agent's row. Takes the signal's fields one by one so that recording one builds
   * no object. `goodness` is the value as "higher is better".
   */
  add(
    agentId: string,
    index: number,
    signalId: string,
    traceId: string | undefined,
    value: number,
    confidence: number,
    timestamp: number,
    expiresAt: number,
    goodness: number,
  ): number {
    let row = this.rowOf.get(agentId);
    let agent: AgentSignals;
    if (row === undefined) {
      row = this.allocateRow();
      agent = new AgentSignals(agentId, row, this.historySize);
      this.agents[row] = agent;
      this.idAt[row] = agentId;
      this.historyAt[row] = agent.history;
      this.rowOf.set(agentId, row);
      this.sorted = undefined;
    } else agent = this.agents[row]!;

    const l = row * SIGNAL_COUNT + index;
    this.latestValue[l] = value;
    this.latestConfidence[l] = confidence;
    this.latestSignalId.set(l, signalId);
    // Written only when it changes, so the common traceless signal leaves the array alone.
    if (traceId !== this.latestTraceId[l]) this.latestTraceId[l] = traceId;
    if (timestamp > agent.lastUpdated) agent.lastUpdated = timestamp;
    agent.history.append(index, value, confidence, timestamp, expiresAt);
    this.historyCount[row] = agent.history.total;

    const t = row * TERM_ROW + index * TERMS;
    this.terms[t] = this.weights[index]! * confidence * (goodness - NEUTRAL_SCORE);
    this.terms[t + 1] = timestamp;
    this.terms[t + 2] = 1 / (expiresAt - timestamp);
    this.expiry[l] = expiresAt;
    this.poly[row * POLY + 5] = Number.NEGATIVE_INFINITY;
    if (expiresAt < this.nextCheck[row]!) this.nextCheck[row] = expiresAt;
    this.dark[row] = 0;
    return row;
  }

  /**
   * The agent's latest signal of type `index` if it is live at `now`, as a new object (for
   * state(); the hot paths read the columns). Undefined when there is none or it expired.
   */
  latest(row: number, index: number, now: number): StoredSignal | undefined {
    const l = row * SIGNAL_COUNT + index;
    const expiresAt = this.expiry[l]!;
    if (!(now < expiresAt)) return undefined;
    const signal: StoredSignal = {
      signalId: this.latestSignalId.get(l)!,
      signalType: SIGNAL_TYPES[index]!,
      value: this.latestValue[l]!,
      confidence: this.latestConfidence[l]!,
      timestamp: this.terms[row * TERM_ROW + index * TERMS + 1]!,
      expiresAt,
    };
    const traceId = this.latestTraceId[l];
    if (traceId !== undefined) signal.traceId = traceId;
    return signal;
  }

  /**
   * Weighted routing score at `now`: 0.5 + Σ weight·confidence·freshness·(s − 0.5), which is
   * Σ weight·score because the weights sum to 1. Expired terms have freshness 0, so they drop out
   * before the sweeper clears them. 0.5 for an unknown agent.
   */
  score(agentId: string, now: number): number {
    const row = this.rowOf.get(agentId);
    return row === undefined ? NEUTRAL_SCORE : this.scoreRow(row, now);
  }

  /** routingScore of a row: the row's cubic when `now` is inside its window, else rebuild it. */
  scoreRow(row: number, now: number): number {
    const q = this.poly;
    const b = row * POLY;
    const u = now - q[b + 4]!;
    if (u >= 0 && now < q[b + 5]!) {
      const total = NEUTRAL_SCORE + q[b]! + u * (q[b + 1]! + u * (q[b + 2]! + u * q[b + 3]!));
      return total < 0 ? 0 : total > 1 ? 1 : total;
    }
    return this.rebuild(row, now);
  }

  /**
   * routingScore of a row computed term by term (used by record, which just invalidated the
   * cubic). freshness() is written out here: this runs once per signal, and V8 does not inline
   * the call, so each term's result came back as a freshly allocated heap number.
   */
  scoreTerms(row: number, now: number): number {
    const p = this.terms;
    const start = row * TERM_ROW;
    const end = start + TERM_ROW;
    let total = NEUTRAL_SCORE;
    for (let i = start; i < end; i += TERMS) {
      const c = p[i]!;
      if (c === 0) continue;
      const x = (now - p[i + 1]!) * p[i + 2]!; // freshness(x), as in scoring.ts
      if (!(x > 0)) total += c;
      else if (x < 1) total += c * (1 - x) * (1 - x) * (1 + 2 * x);
    }
    return total < 0 ? 0 : total > 1 ? 1 : total;
  }

  /** Whether the agent has a latest signal that is live at `now`. */
  hasLive(agentId: string, now: number): boolean {
    const row = this.rowOf.get(agentId);
    if (row === undefined) return false;
    const start = row * SIGNAL_COUNT;
    for (let i = start; i < start + SIGNAL_COUNT; i++) if (now < this.expiry[i]!) return true;
    return false;
  }

  /** Forget an agent; returns whether it was known. */
  delete(agentId: string): boolean {
    const row = this.rowOf.get(agentId);
    if (row === undefined) return false;
    this.releaseRow(row, agentId);
    return true;
  }

  /**
   * Drop expired latest signals, forget agents left with no live signal that `isConnected` does not
   * vouch for, and drop expired history entries of the agents that stay. A row whose next expiry
   * is still ahead costs one read (plus an isConnected call while it is dark). Written as one loop
   * over the arrays because it runs every few minutes, mostly cold: few calls, few objects touched.
   */
  sweep(now: number, isConnected: (agentId: string) => boolean, tally: SweepTally): void {
    const { expiry, terms, poly, nextCheck, dark, historyCount, idAt } = this;
    const rows = this.rowsUsed;
    for (let row = 0; row < rows; row++) {
      const agentId = idAt[row];
      if (agentId === undefined) continue;
      if (now < nextCheck[row]!) {
        if (dark[row] === 1 && !isConnected(agentId)) this.forget(row, agentId, tally);
        continue;
      }
      const e0 = row * SIGNAL_COUNT;
      let live = 0;
      for (let i = 0; i < SIGNAL_COUNT; i++) {
        const e = expiry[e0 + i]!;
        if (e === 0) continue;
        if (now < e) {
          live++;
          continue;
        }
        expiry[e0 + i] = 0;
        terms[row * TERM_ROW + i * TERMS] = 0;
        tally.removedSignals++;
        tally.removedByIndex[i]!++;
      }
      poly[row * POLY + 5] = Number.NEGATIVE_INFINITY;
      if (live === 0 && !isConnected(agentId)) {
        this.forget(row, agentId, tally);
        continue;
      }
      const history = this.historyAt[row]!;
      const dropped = history.dropExpired(now);
      historyCount[row]! -= dropped;
      tally.removedHistory += dropped;
      let next = Number.POSITIVE_INFINITY;
      for (let i = 0; i < SIGNAL_COUNT; i++) {
        const e = expiry[e0 + i]!;
        if (e !== 0 && e < next) next = e;
        const f = history.frontExpiry(i);
        if (f < next) next = f;
      }
      nextCheck[row] = next;
      dark[row] = live === 0 ? 1 : 0;
    }
  }

  private forget(row: number, agentId: string, tally: SweepTally): void {
    tally.removedHistory += this.historyCount[row]!;
    tally.forgottenAgents++;
    this.releaseRow(row, agentId);
  }

  /**
   * Rebuild a row's cubic for the window starting at max(now, newest term's timestamp) and ending
   * at the earliest expiry among terms live at `now`; return the exact score at `now`. With
   * x = α + βu (u = now − from, β = 1/ttl, α = (from − t)·β), f(x) = 1 − 3x² + 2x³ expands to
   * (1 − 3α² + 2α³) + 6αβ(α − 1)·u + 3β²(2α − 1)·u² + 2β³·u³.
   */
  private rebuild(row: number, now: number): number {
    const p = this.terms;
    const start = row * TERM_ROW;
    const e0 = row * SIGNAL_COUNT;
    let from = now;
    let until = Number.POSITIVE_INFINITY;
    for (let i = 0; i < SIGNAL_COUNT; i++) {
      const e = this.expiry[e0 + i]!;
      if (p[start + i * TERMS] === 0 || now >= e) continue;
      const t = p[start + i * TERMS + 1]!;
      if (t > from) from = t;
      if (e < until) until = e;
    }
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < SIGNAL_COUNT; i++) {
      const j = start + i * TERMS;
      const c = p[j]!;
      if (c === 0 || now >= this.expiry[e0 + i]!) continue;
      const beta = p[j + 2]!;
      const alpha = (from - p[j + 1]!) * beta;
      a0 += c * (1 - alpha * alpha * (3 - 2 * alpha));
      a1 += c * 6 * alpha * beta * (alpha - 1);
      a2 += c * 3 * beta * beta * (2 * alpha - 1);
      a3 += c * 2 * beta * beta * beta;
    }
    const q = this.poly;
    const b = row * POLY;
    q[b] = a0;
    q[b + 1] = a1;
    q[b + 2] = a2;
    q[b + 3] = a3;
    q[b + 4] = from;
    q[b + 5] = until;
    return this.scoreTerms(row, now);
  }

  /** A row whose numbers are all cleared. */
  private allocateRow(): number {
    const row = this.freeRows.pop();
    if (row === undefined) {
      if (this.rowsUsed === this.nextCheck.length) this.growRows();
      return this.rowsUsed++; // never used: still zero (nextCheck Infinity)
    }
    for (let i = row * TERM_ROW; i < (row + 1) * TERM_ROW; i++) this.terms[i] = 0;
    for (let i = row * SIGNAL_COUNT; i < (row + 1) * SIGNAL_COUNT; i++) this.expiry[i] = 0;
    this.poly[row * POLY + 5] = Number.NEGATIVE_INFINITY;
    this.nextCheck[row] = Number.POSITIVE_INFINITY;
    this.dark[row] = 0;
    this.historyCount[row] = 0;
    return row;
  }

  /** Free a row; its numbers are cleared when it is handed out again. */
  private releaseRow(row: number, agentId: string): void {
    this.rowOf.delete(agentId);
    this.agents[row] = undefined;
    this.idAt[row] = undefined;
    this.historyAt[row] = undefined;
    for (let i = row * SIGNAL_COUNT; i < (row + 1) * SIGNAL_COUNT; i++) {
      this.latestSignalId.clear(i);
      this.latestTraceId[i] = undefined;
    }
    this.freeRows.push(row);
    this.sorted = undefined;
  }

  private growRows(): void {
    const old = this.nextCheck.length;
    const rows = old * 2;
    const grow = <A extends Float64Array | Uint8Array>(old: A, make: (n: number) => A, perRow: number): A => {
      const next = make(rows * perRow);
      next.set(old);
      return next;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.terms = grow(this.terms, f64, TERM_ROW);
    this.poly = grow(this.poly, f64, POLY);
    this.expiry = grow(this.expiry, f64, SIGNAL_COUNT);
    this.latestValue = grow(this.latestValue, f64, SIGNAL_COUNT);
    this.latestConfidence = grow(this.latestConfidence, f64, SIGNAL_COUNT);
    this.latestSignalId.grow(rows * SIGNAL_COUNT);
    for (let i = old * SIGNAL_COUNT; i < rows * SIGNAL_COUNT; i++) this.latestTraceId.push(undefined);
    this.historyCount = grow(this.historyCount, f64, 1);
    this.nextCheck = grow(this.nextCheck, f64, 1);
    this.nextCheck.fill(Number.POSITIVE_INFINITY, old);
    this.dark = grow(this.dark, (n) => new Uint8Array(n), 1);
  }
}

/** `n` undefined slots in a packed array (grown with push, so element access stays fast). */
function emptySlots(n: number): (string | undefined)[] {
  return Array.from({ length: n }, () => undefined);
}
