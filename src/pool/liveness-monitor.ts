import type { Log } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { AgentRegistry } from './agent-registry.js';
import type { AttemptDispatcher } from './attempt-dispatcher.js';
import type { PoolOptions } from './pool-options.js';

/** What LivenessMonitor needs from the pool around it. */
export interface LivenessMonitorDeps {
  clock: Clock;
  log: Log;
  agents: Pick<AgentRegistry, 'checkLiveness'>;
  dispatcher: Pick<AttemptDispatcher, 'removeAgent'>;
}

/** Agents that stop heartbeating: DEGRADED after leaseTtlMs of silence, removed (their tasks requeued) after the grace period. */
export class LivenessMonitor {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: LivenessMonitorDeps,
    private readonly options: Readonly<Pick<PoolOptions, 'heartbeatIntervalMs' | 'leaseTtlMs' | 'removalGraceMs'>>,
  ) {}

  start(): void {
    if (this.timer) return;
    const every = Math.max(1, Math.min(this.options.heartbeatIntervalMs, this.options.leaseTtlMs) / 2);
    this.timer = this.deps.clock.setInterval(() => this.check(), every);
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One liveness pass. */
  check(): void {
    const { degraded, expired } = this.deps.agents.checkLiveness(this.options.leaseTtlMs, this.options.removalGraceMs);
    for (const a of degraded)
      this.deps.log.warn({ agentId: a.agentId, silentMs: this.deps.clock.now() - a.lastHeartbeat }, 'agent missed heartbeats: DEGRADED');
    for (const a of expired) {
      this.deps.log.warn({ agentId: a.agentId }, 'agent silent past the grace period: removing and requeueing its tasks');
      a.channel.close('missed heartbeats');
      this.deps.dispatcher.removeAgent(a, 'agent_removed');
    }
  }
}
