import type { Config } from '../config.js';
import type { CoordinationService } from '../coordination/coordination-service.js';
import type { LoadForecasts } from '../coordination/load-forecasts.js';
import type { SignalIntake } from '../coordination/signal-intake.js';
import type { Metrics } from '../observability/metrics.js';
import type { RpcEngine } from '../rpc/engine.js';
import { protocolError } from '../rpc/rpc-error.js';
import { coordinationMetrics, coordinationPredictOverload, coordinationSignal, coordinationState } from '../schemas/coordination.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';

export interface CoordinationApiDeps {
  coordination: CoordinationService;
  router: AgentRouter;
  metrics: Metrics;
  config: Pick<Config, 'maxBatch'>;
  /** Per-agent circuit breakers, shown in coordination.state. */
  breakers?: CircuitBreakers;
  intake: SignalIntake;
  /** predictOverload and state with the pool's own forecast blended in. */
  forecasts: LoadForecasts;
}

/** coordination.signal, .state, .metrics and .predictOverload. */
export function registerCoordinationApi(engine: RpcEngine, deps: CoordinationApiDeps): void {
  const { coordination, forecasts, router, metrics, intake } = deps;
  const { maxBatch } = deps.config;

  engine.register(
    coordinationSignal,
    (params, ctx) => {
      if (!('signals' in params)) return intake.one(params, ctx.session);
      if (params.signals.length > maxBatch) {
        throw protocolError('INVALID_PARAMS', {
          paths: ['signals'],
          issues: [{ path: 'signals', message: `at most ${maxBatch} signals per call (COORDD_MAX_BATCH)` }],
        });
      }
      return intake.batch(params.signals, params.traceId, ctx.session);
    },
    // A single signal that fails its schema never reaches the handler; a batch whose envelope fails counts once per entry it had.
    { onInvalidParams: (raw) => intake.invalid(raw) },
  );

  const breakers = deps.breakers;
  engine.register(coordinationState, (params) => {
    if ('agentId' in params) {
      const one = forecasts.state(params.agentId);
      return breakers ? { ...one, circuitBreaker: breakers.view(params.agentId) } : one;
    }
    const page = forecasts.list(params);
    if (!breakers) return page;
    return { ...page, agents: page.agents.map((a) => ({ ...a, circuitBreaker: breakers.view(a.agentId) })), circuitBreakers: breakers.entries() };
  });

  engine.register(coordinationPredictOverload, (params) => forecasts.predictOverload(params.agentId, params.horizonSeconds, params.basis));

  engine.register(coordinationMetrics, async () => {
    const stats = coordination.stats();
    const routing = router.stats();
    const [p50, p95, p99] = (await metrics.callQuantiles('coordination.signal', [0.5, 0.95, 0.99])).map((s) => s * 1000);
    const holds = router.holdStats();
    return {
      ...stats,
      defaultStrategy: router.defaultStrategy,
      selections: routing.selections,
      fallbacks: routing.fallbacks,
      signalHandlingMs: { p50: p50!, p95: p95!, p99: p99! },
      holds: { tasksHeld: holds.tasksHeld, ended: holds.ended, meanMs: holds.ended > 0 ? holds.totalMs / holds.ended : 0, maxMs: holds.maxMs },
    };
  });
}
