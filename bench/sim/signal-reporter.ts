import type { CoordinationService } from '../../src/coordination/coordination-service.js';
import type { Random } from '../../src/random.js';
import type { SignalType } from '../../src/schemas/common.js';
import { clampUnit, normal, uniform } from './distributions.js';
import type { SimAgent } from './sim-agent.js';
import type { SimClock } from './sim-clock.js';
import type { World } from './model.js';

/** Reported latency is the agent's recent time per task divided by this many mean task times (then clamped to 1). */
export const LATENCY_SCALE_TASKS = 10;
/** Reported capacity is the agent's nominal throughput relative to this many reference workers (then clamped to 1). */
export const CAPACITY_REFERENCE_WORKERS = 4;

/** The latest load an agent reported, for the naive overload rule. */
export interface ReportedLoad {
  value: number;
  at: number;
}

/**
 * Each agent measures itself periodically and sends all six signals through
 * CoordinationService.record, the way a real agent's reporting loop would over coordination.signal:
 * - load: tasks it holds / the capacity it registered (true, plus noise);
 * - latency: EWMA of its recent time per task (queue + service) / (LATENCY_SCALE_TASKS × mean work);
 * - quality: its true quality plus noise; cost: its price;
 * - capacity: nominal throughput (workers / speed) relative to CAPACITY_REFERENCE_WORKERS reference workers;
 * - availability: EWMA of its recent success rate.
 * Reports are jittered (±20% period, random phase), noisy, and arrive `lagMs` after the
 * measurement; an agent's `lies` replace or scale what it says. A crashed agent sends nothing.
 */
export class SignalReporter {
  private readonly lastLoad = new Map<string, ReportedLoad>();

  constructor(
    private readonly deps: {
      clock: SimClock;
      coordination: CoordinationService;
      world: World;
      agents: readonly SimAgent[];
      random: (agent: SimAgent) => Random;
    },
  ) {}

  start(): void {
    const { clock, world } = this.deps;
    for (const agent of this.deps.agents) {
      const r = this.deps.random(agent);
      const tick = (): void => {
        if (agent.up) this.measureAndSend(agent, r);
        clock.setTimeout(tick, world.report.periodMs * uniform(r, 0.8, 1.2));
      };
      clock.setTimeout(tick, world.report.periodMs * r.next());
    }
  }

  /** The latest load signal value the daemon received from the agent, if any. */
  reportedLoad(agentId: string): ReportedLoad | undefined {
    return this.lastLoad.get(agentId);
  }

  private measureAndSend(agent: SimAgent, r: Random): void {
    const { world, clock, coordination } = this.deps;
    const { spec } = agent;
    const lies = spec.lies ?? {};
    const noise = (): number => world.report.noise * normal(r);
    const values: [SignalType, number][] = [
      ['load', clampUnit((agent.load + noise()) * (lies.loadFactor ?? 1))],
      ['latency', clampUnit((agent.latencyEwmaMs / (LATENCY_SCALE_TASKS * world.meanWorkMs) + noise()) * (lies.latencyFactor ?? 1))],
      ['quality', clampUnit(lies.quality ?? spec.quality + noise())],
      ['cost', clampUnit(spec.cost)],
      ['capacity', clampUnit(lies.capacity ?? spec.workers / spec.speed / CAPACITY_REFERENCE_WORKERS)],
      ['availability', clampUnit(lies.availability ?? agent.successEwma)],
    ];
    clock.setTimeout(() => {
      if (!agent.up) return;
      for (const [signalType, value] of values) {
        coordination.record({ agentId: agent.agentId, signalType, value, confidence: world.report.confidence });
      }
      this.lastLoad.set(agent.agentId, { value: values[0]![1], at: clock.now() });
    }, world.report.lagMs);
  }
}
