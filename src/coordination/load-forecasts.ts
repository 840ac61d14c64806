import type { AgentPage, CoordinationService, ListOptions, RegisteredAgents } from './coordination-service.js';
import { DEFAULT_HORIZON_SECONDS, NO_REGISTERED_AGENTS } from './coordination-service.js';
import type { LocalLoadSource } from './local-load.js';
import { PoolCoverage } from './pool-coverage.js';
import type { AgentCoordinationState, OverloadPrediction } from './types.js';

/**
 * The overload forecast the daemon answers with (coordination.predictOverload, .state, agent.get):
 * the pool's own forecast for an agent it holds (local-load.ts), unless the agents' load reports
 * show that the pool sees only part of their work (other daemons or pools share them); else, or
 * with basis 'signals', the trend of the agent's load reports. Built after both the coordination
 * service and the pool, it answers for the pool's agents that have sent no signal yet; the router
 * reads the reports' forecast alone (forecastLoad).
 */
export class LoadForecasts {
  /** Whether the pool's view covers the agents' whole load (else its forecast would under-predict). */
  readonly poolCoverage = new PoolCoverage();

  constructor(
    private readonly coordination: CoordinationService,
    private readonly local: LocalLoadSource,
    private readonly registered: RegisteredAgents = NO_REGISTERED_AGENTS,
  ) {}

  /** The forecast `horizonSeconds` ahead; throws UNKNOWN_AGENT for an agent neither the pool nor the reports know. */
  predictOverload(agentId: string, horizonSeconds = DEFAULT_HORIZON_SECONDS, basis: 'auto' | 'signals' = 'auto'): OverloadPrediction {
    const local = basis === 'auto' ? this.localPrediction(agentId, horizonSeconds) : undefined;
    if (local === undefined) return this.coordination.predictOverload(agentId, horizonSeconds);
    this.coordination.countPrediction(local);
    return local;
  }

  /** coordination.state with the blended overload outlook. */
  state(agentId: string): AgentCoordinationState {
    return this.blended(this.coordination.state(agentId, this.registered));
  }

  /** coordination.list with the blended overload outlook. */
  list(options: ListOptions = {}): AgentPage {
    const page = this.coordination.list(options, this.registered);
    return { ...page, agents: page.agents.map((s) => this.blended(s)) };
  }

  private blended(state: AgentCoordinationState): AgentCoordinationState {
    const local = this.localPrediction(state.agentId, DEFAULT_HORIZON_SECONDS);
    return local === undefined ? state : { ...state, overload: local };
  }

  /** The pool's forecast, unless the agents' load reports show the pool sees only part of their work. */
  private localPrediction(agentId: string, horizonSeconds: number): OverloadPrediction | undefined {
    const reports = this.coordination.loadReports(agentId);
    if (reports !== undefined) {
      const { newest } = reports;
      const own = newest && this.local.utilization(agentId);
      if (newest !== undefined && own !== undefined) this.poolCoverage.observe(agentId, newest.timestamp, newest.value, own, this.coordination.now());
      if (!this.poolCoverage.covers) return undefined;
    }
    const local = this.local.forecastLoad(agentId, horizonSeconds);
    if (local === undefined) return undefined;
    return {
      willOverload: local.predictedLoad >= this.coordination.options.overloadThreshold,
      predictedLoad: local.predictedLoad,
      confidence: local.confidence,
      samples: reports?.live ?? 0,
      horizonSeconds,
      basis: 'pool',
    };
  }
}
