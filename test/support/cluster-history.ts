/**
 * A Jepsen-style history of a cluster run and the checker of its safety properties (issue 12).
 *
 * The test records what its clients saw (acknowledged `pool.assign`s, `task.run`s and the outcomes
 * the agents produced, completions the daemon reported, fencing tokens, terms and the writes that
 * landed in Redis with their term) and, at the end, every task record; `check()` lists each
 * violation of: every acknowledged task exists at the end; at most one accepted completion per task;
 * epochs per task and fencing tokens per resource only increase; no write of a stale term landed.
 * Time is the recorder's clock (ms); observations are kept in the order they were recorded.
 */

/** What the checker needs of a task record (task.get / task.list), as the daemon returns it. */
export interface TaskSnapshot {
  taskId: string;
  state: string;
  epoch?: number;
  result?: unknown;
  idempotencyKey?: string;
  attempts?: { epoch: number; outcome: string; agentId?: string }[];
}

export type ViolationKind =
  | 'lost-task' // acknowledged by pool.assign, missing at the end
  | 'dedupe-broken' // one idempotency key acknowledged with two task ids
  | 'completed-twice' // two different accepted completions of one task
  | 'terminal-changed' // seen COMPLETED, later seen in another state (or with another outcome)
  | 'phantom-result' // the accepted result is none an agent produced for that task
  | 'epoch-regressed' // a task.run whose epoch is not above every earlier one of the task
  | 'token-regressed' // a fencing token not above every earlier grant on the resource
  | 'split-brain' // two leaders named for one term
  | 'stale-write'; // a write of term T landed after a later term was seen

export interface Violation {
  kind: ViolationKind;
  /** The task, resource or term concerned. */
  subject: string;
  detail: string;
}

/** One completion the daemon accepted, as some observer saw it. */
interface Completion {
  taskId: string;
  /** The attempt's epoch when the observer knows it. */
  epoch: number | undefined;
  result: unknown;
  source: string;
  at: number;
}

interface Run {
  taskId: string;
  epoch: number;
  agentId: string;
  at: number;
}

export class ClusterHistory {
  private readonly acks: { key: string | undefined; taskId: string; at: number }[] = [];
  private readonly unsure: { key: string | undefined; error: string; at: number }[] = [];
  private readonly runs: Run[] = [];
  private readonly outcomes = new Map<string, { epoch: number; result: unknown }[]>();
  private readonly completions: Completion[] = [];
  private readonly states: { taskId: string; state: string; at: number; source: string }[] = [];
  private readonly grants: { resource: string; token: number; holder: string; at: number }[] = [];
  private readonly terms: { term: number; leaderId: string | undefined; at: number; observer: string }[] = [];
  private readonly writes: { term: number; at: number; what: string }[] = [];
  private finals: TaskSnapshot[] | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** `pool.assign` answered with `taskId` (its `idempotencyKey`, if it had one). */
  assignAcked(key: string | undefined, taskId: string): void {
    this.acks.push({ key, taskId, at: this.now() });
  }

  /** `pool.assign` failed with an error that leaves its outcome unknown (it may have taken effect). */
  assignUnsure(key: string | undefined, error: unknown): void {
    this.unsure.push({ key, error: error instanceof Error ? error.message : String(error), at: this.now() });
  }

  /** An agent received `task.run` for (taskId, epoch). */
  runStarted(taskId: string, epoch: number, agentId: string): void {
    this.runs.push({ taskId, epoch, agentId, at: this.now() });
  }

  /** An agent produced `result` for (taskId, epoch) and sent it (reply or task.report). */
  runFinished(taskId: string, epoch: number, result: unknown): void {
    const list = this.outcomes.get(taskId) ?? [];
    list.push({ epoch, result });
    this.outcomes.set(taskId, list);
  }

  /** The daemon said the task COMPLETED (task.wait, task.get, an event, task.report `accepted`). */
  completionSeen(taskId: string, epoch: number | undefined, result: unknown, source: string): void {
    this.completions.push({ taskId, epoch, result, source, at: this.now() });
    this.states.push({ taskId, state: 'COMPLETED', at: this.now(), source });
  }

  /** The daemon said the task is in `state` (events, task.get during the run). */
  stateSeen(taskId: string, state: string, source: string): void {
    this.states.push({ taskId, state, at: this.now(), source });
  }

  /** `resource.acquire` granted `token` on `resource` to `holder`. */
  tokenGranted(resource: string, token: number, holder: string): void {
    this.grants.push({ resource, token, holder, at: this.now() });
  }

  /** An observer saw `term` with `leaderId` as its leader (cluster.status, Redis MONITOR) at `at` (default now). */
  termSeen(term: number, leaderId: string | undefined, observer: string, at = this.now()): void {
    this.terms.push({ term, leaderId, at, observer });
  }

  /** A write tagged with `term` landed in the store at `at` (e.g. a stream entry's id time). */
  writeLanded(term: number, at: number, what: string): void {
    this.writes.push({ term, at, what });
  }

  /** Every task record at the end of the run (task.list over all pages). */
  finalTasks(records: TaskSnapshot[]): void {
    this.finals = records;
  }

  /** Counts, for a report. */
  summary(): { acked: number; unsure: number; runs: number; completions: number; grants: number; terms: number; writes: number; finals: number } {
    const terms = new Set(this.terms.map((t) => t.term)).size;
    return {
      acked: this.acks.length,
      unsure: this.unsure.length,
      runs: this.runs.length,
      completions: this.completions.length,
      grants: this.grants.length,
      terms,
      writes: this.writes.length,
      finals: this.finals?.length ?? 0,
    };
  }

  /** Every violation in the history (empty when it is valid). */
  check(): Violation[] {
    return [...this.checkAcks(), ...this.checkCompletions(), ...this.checkEpochs(), ...this.checkTokens(), ...this.checkTerms()];
  }

  /** Throw an Error listing the violations, if any. */
  assertValid(): void {
    const violations = this.check();
    if (violations.length > 0) {
      throw new Error(`${violations.length} violation(s) in the history:\n${violations.map((v) => `  ${v.kind} ${v.subject}: ${v.detail}`).join('\n')}`);
    }
  }

  private checkAcks(): Violation[] {
    const out: Violation[] = disagreements(
      this.acks,
      (ack) => ack.key,
      (ack) => ack.taskId,
    ).map(({ key, first, item }) => ({ kind: 'dedupe-broken', subject: key, detail: `acknowledged as ${first} and as ${item.taskId}` }));
    if (this.finals === undefined) return out;
    const present = new Set(this.finals.map((t) => t.taskId));
    for (const ack of this.acks) {
      if (!present.has(ack.taskId))
        out.push({ kind: 'lost-task', subject: ack.taskId, detail: `acknowledged at ${ack.at} (key ${ack.key ?? '-'}), missing at the end` });
    }
    return out;
  }

  private checkCompletions(): Violation[] {
    const out: Violation[] = [];
    const accepted = new Map<string, Completion[]>();
    const add = (c: Completion): void => void accepted.set(c.taskId, [...(accepted.get(c.taskId) ?? []), c]);
    for (const c of this.completions) add(c);
    for (const record of this.finals ?? []) {
      const done = (record.attempts ?? []).filter((a) => a.outcome === 'completed');
      if (done.length > 1) {
        out.push({
          kind: 'completed-twice',
          subject: record.taskId,
          detail: `the record has ${done.length} completed attempts (epochs ${done.map((a) => a.epoch).join(', ')})`,
        });
      }
      if (record.state === 'COMPLETED')
        add({ taskId: record.taskId, epoch: done[0]?.epoch ?? record.epoch, result: record.result, source: 'final', at: Infinity });
    }
    for (const [taskId, list] of accepted) {
      const distinct = distinctCompletions(list);
      if (distinct.length > 1) {
        out.push({
          kind: 'completed-twice',
          subject: taskId,
          detail: distinct.map((c) => `epoch ${c.epoch ?? '?'} result ${JSON.stringify(c.result)} (${c.source})`).join(' vs '),
        });
      }
      const produced = this.outcomes.get(taskId);
      if (produced !== undefined) {
        for (const c of distinct) {
          if (!produced.some((p) => (c.epoch === undefined || p.epoch === c.epoch) && sameJson(p.result, c.result))) {
            out.push({
              kind: 'phantom-result',
              subject: taskId,
              detail: `accepted ${JSON.stringify(c.result)} (epoch ${c.epoch ?? '?'}, ${c.source}); no agent produced it`,
            });
          }
        }
      }
    }
    out.push(...this.checkTerminal());
    return out;
  }

  /** A task seen COMPLETED must never be seen in another state afterwards (the final record included). */
  private checkTerminal(): Violation[] {
    const out: Violation[] = [];
    const observations = [...this.states, ...(this.finals ?? []).map((r) => ({ taskId: r.taskId, state: r.state, at: Infinity, source: 'final' }))];
    const completedAt = new Map<string, { at: number; source: string }>();
    for (const o of observations) {
      const done = completedAt.get(o.taskId);
      if (o.state === 'COMPLETED') {
        if (!done) completedAt.set(o.taskId, { at: o.at, source: o.source });
      } else if (done && o.at >= done.at) {
        out.push({ kind: 'terminal-changed', subject: o.taskId, detail: `COMPLETED (${done.source}), then ${o.state} (${o.source})` });
      }
    }
    return out;
  }

  private checkEpochs(): Violation[] {
    const out: Violation[] = regressions(
      this.runs,
      (run) => run.taskId,
      (run) => run.epoch,
    ).map(({ before, item: run }) => ({
      kind: 'epoch-regressed',
      subject: run.taskId,
      detail: `task.run epoch ${run.epoch} to ${run.agentId} after epoch ${before.epoch} to ${before.agentId}`,
    }));
    for (const record of this.finals ?? []) {
      const epochs = (record.attempts ?? []).map((a) => a.epoch);
      for (let i = 1; i < epochs.length; i++) {
        if (epochs[i]! <= epochs[i - 1]!)
          out.push({ kind: 'epoch-regressed', subject: record.taskId, detail: `the record's attempts have epochs ${epochs.join(', ')}` });
      }
    }
    return out;
  }

  private checkTokens(): Violation[] {
    return regressions(
      this.grants,
      (grant) => grant.resource,
      (grant) => grant.token,
    ).map(({ before, item: grant }) => ({
      kind: 'token-regressed',
      subject: grant.resource,
      detail: `token ${grant.token} to ${grant.holder} after token ${before.token} to ${before.holder}`,
    }));
  }

  private checkTerms(): Violation[] {
    const out: Violation[] = disagreements(
      this.terms,
      (t) => (t.leaderId === undefined ? undefined : t.term),
      (t) => t.leaderId!,
    ).map(({ key, first, item }) => ({ kind: 'split-brain', subject: `term ${key}`, detail: `leader ${first}, and ${item.leaderId} (${item.observer})` }));
    // The earliest time each term was seen; a write of term T landing after a later term was seen is stale.
    const firstSeen = [...this.terms].sort((a, b) => a.at - b.at);
    for (const w of this.writes) {
      const later = firstSeen.find((t) => t.term > w.term && t.at < w.at);
      if (later)
        out.push({
          kind: 'stale-write',
          subject: `term ${w.term}`,
          detail: `${w.what} landed at ${w.at}, after term ${later.term} was seen at ${later.at} (${later.observer})`,
        });
    }
    return out;
  }
}

/** Completions that differ (by epoch when both know it, else by result). */
/** Each item that gives its key (undefined: none) a value other than the first one given: with that key and first value. */
function disagreements<T, K>(items: readonly T[], key: (item: T) => K | undefined, value: (item: T) => string): { key: K; first: string; item: T }[] {
  const firsts = new Map<K, string>();
  const out: { key: K; first: string; item: T }[] = [];
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const first = firsts.get(k);
    if (first === undefined) firsts.set(k, value(item));
    else if (first !== value(item)) out.push({ key: k, first, item });
  }
  return out;
}

/** Each item whose number is not above the highest its key had before: with the item that had that highest. */
function regressions<T>(items: readonly T[], key: (item: T) => string, n: (item: T) => number): { before: T; item: T }[] {
  const highest = new Map<string, T>();
  const out: { before: T; item: T }[] = [];
  for (const item of items) {
    const before = highest.get(key(item));
    if (before && n(item) <= n(before)) out.push({ before, item });
    if (!before || n(item) > n(before)) highest.set(key(item), item);
  }
  return out;
}

function distinctCompletions(list: Completion[]): Completion[] {
  const out: Completion[] = [];
  for (const c of list) {
    const same = out.find((o) => (o.epoch === undefined || c.epoch === undefined || o.epoch === c.epoch) && sameJson(o.result, c.result));
    if (!same) out.push({ ...c });
    else if (same.epoch === undefined && c.epoch !== undefined) same.epoch = c.epoch;
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value ?? null;
}
