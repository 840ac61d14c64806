import type { Log } from '../../../src/log.js';
import type { Random } from '../../../src/random.js';
import { ObservedStats } from '../../../src/routing/observed-stats.js';
import type { Candidate, Observation, LoadForecastView, ScoreSource, SelectionContext } from '../../../src/routing/strategy.js';
import { seededRandom } from '../../../src/random.js';

/** A ScoreSource backed by plain maps, counting calls so tests can see what was consulted. */
export class FakeScores implements ScoreSource {
  routingScoreCalls = 0;
  hasLiveSignalCalls = 0;
  predictOverloadCalls = 0;
  /** Overload outlooks by agent; agents not listed are not expected to overload. */
  readonly overload = new Map<string, LoadForecastView>();

  constructor(
    readonly scores: Map<string, number> = new Map(),
    readonly live: Set<string> = new Set(),
  ) {}

  /** Scores for every agent, all of them live. */
  static live(scores: Record<string, number>): FakeScores {
    return new FakeScores(new Map(Object.entries(scores)), new Set(Object.keys(scores)));
  }

  /** Fixed time; these scores do not decay. */
  now(): number {
    return 0;
  }

  routingScore(agentId: string): number {
    this.routingScoreCalls++;
    return this.scores.get(agentId) ?? 0.5;
  }

  hasLiveSignal(agentId: string): boolean {
    this.hasLiveSignalCalls++;
    return this.live.has(agentId);
  }

  forecastLoad(agentId: string): LoadForecastView {
    this.predictOverloadCalls++;
    if (!this.live.has(agentId)) throw new Error(`predictOverload asked about ${agentId}, which has no live signal`);
    return this.overload.get(agentId) ?? { willOverload: false, confidence: 0 };
  }
}

/** A Random that must not be consulted. */
export const forbiddenRandom: Random = {
  next() {
    throw new Error('random must not be used here');
  },
};

/** A Random that returns the given values in turn, then repeats the last one. */
export function scriptedRandom(...values: number[]): Random {
  let i = 0;
  return { next: () => values[Math.min(i++, values.length - 1)]! };
}

export function candidates(...ids: string[]): Candidate[] {
  return ids.map((agentId) => ({ agentId, inFlight: 0 }));
}

/** A selection context at the score source's time (or `now`), with nothing observed unless given. */
export function ctx(
  scores: ScoreSource = new FakeScores(),
  random: Random = seededRandom(1),
  observed = new ObservedStats(),
  now = scores.now(),
): SelectionContext {
  return { random, scores, observed, now };
}

/** `count` observations of one agent, `everyMs` apart, starting at `from`; returns the time of the last. */
export function observeMany(
  stats: { record(o: Observation): void } | { observe(o: Observation): void },
  agentId: string,
  count: number,
  opts: { latencyMs: number; outcome?: Observation['outcome']; from?: number; everyMs?: number },
): number {
  const every = opts.everyMs ?? 100;
  let at = opts.from ?? 0;
  for (let i = 0; i < count; i++) {
    at = (opts.from ?? 0) + i * every;
    const o: Observation = { agentId, latencyMs: opts.latencyMs, outcome: opts.outcome ?? 'completed', at };
    if ('record' in stats) stats.record(o);
    else stats.observe(o);
  }
  return at;
}

/** How often each agent was chosen by `pick` over `runs` calls. */
export function tally(runs: number, pick: () => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const id = pick();
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A Log that records every entry. */
export function recordingLog(): Log & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
