import { AppError, AppErrors } from '../errors.js';
import type { Config } from '../config.js';
import type { CoordinationService } from '../coordination/coordination-service.js';
import { DeferredCounter } from '../observability/deferred-counter.js';
import type { Metrics } from '../observability/metrics.js';
import type { RpcEngine } from '../rpc/engine.js';
import type { Session } from '../rpc/session.js';
import { invalidParamsData } from '../rpc/param-issues.js';
import { RpcError } from '../rpc/rpc-error.js';
import { SIGNAL_TYPES, SignalType } from '../schemas/common.js';
import {
  SignalInput,
  coordinationMetrics,
  coordinationPredictOverload,
  coordinationSignal,
  coordinationState,
} from '../schemas/coordination.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';

export interface CoordinationApiDeps {
  coordination: CoordinationService;
  router: AgentRouter;
  metrics: Metrics;
  config: Pick<Config, 'maxBatch'>;
  /** Per-agent circuit breakers, shown in coordination.state. */
  breakers?: CircuitBreakers;
}

const INVALID_PARAMS_CODE = -32602;
const FORBIDDEN_CODE = AppErrors.FORBIDDEN.code;

const SPEAK_FOR_SELF = 'Forbidden: an agent connection may only send signals about the agent it registered as';

/**
 * Whether the connection may report signals about `agentId`, or why not. An agent connection
 * speaks only for the agent it registered as, and not at all before it has registered.
 * Operators and admins feed signals about any agent (external monitors, load reporters).
 */
function refusalFor(session: Session, agentId: string): string | undefined {
  if (session.role !== 'agent') return undefined;
  const own = session.agentId;
  if (own === undefined) return 'an agent connection must call agent.register first, and may then send signals only about itself';
  return own === agentId ? undefined : `an agent connection may only send signals about the agent it registered as (${own})`;
}

/** Admin keeps its powers; an admin registered as one agent and reporting about another is logged, once per connection and agent. */
const noticed = new WeakMap<Session, Set<string>>();
function noteAdminActingFor(session: Session, agentId: string): void {
  if (session.role !== 'admin' || session.agentId === undefined || session.agentId === agentId) return;
  let seen = noticed.get(session);
  if (!seen) noticed.set(session, (seen = new Set()));
  if (seen.has(agentId) || seen.size >= 100) return;
  seen.add(agentId);
  session.log.info({ agentId: session.agentId, about: agentId }, 'admin connection registered as one agent sent signals about another');
}

/** coordination.signal, .state, .metrics and .predictOverload. */
export function registerCoordinationApi(engine: RpcEngine, deps: CoordinationApiDeps): void {
  const { coordination, router, metrics } = deps;
  // Accepted signals are counted in plain numbers and reach the counter when it is read (one
  // prom-client inc() per signal was ~250 bytes of garbage); rejections are rare and go straight in.
  const acceptedCounts = new DeferredCounter(metrics.signals);
  const accepted = Object.fromEntries(SIGNAL_TYPES.map((t) => [t, acceptedCounts.labels(t, 'accepted')]));
  const rejected = Object.fromEntries([...SIGNAL_TYPES, 'unknown'].map((t) => [t, metrics.signals.labels(t, 'rejected')]));

  /** A refused signal counts in coordination.metrics and in coordd_signals_total alike, by its type if it has a valid one. */
  const reject = (signalType: unknown): void => {
    const type = SignalType.safeParse(signalType);
    coordination.recordRejected(type.success ? type.data : undefined);
    rejected[type.success ? type.data : 'unknown']!.inc();
  };
  const typeOf = (entry: unknown): unknown => (typeof entry === 'object' && entry !== null ? (entry as { signalType?: unknown }).signalType : undefined);

  engine.register(coordinationSignal, (params, ctx) => {
    if (!('signals' in params)) {
      const refusal = refusalFor(ctx.session, params.agentId);
      if (refusal !== undefined) {
        reject(params.signalType);
        throw new AppError('FORBIDDEN', refusal, { agentId: params.agentId });
      }
      noteAdminActingFor(ctx.session, params.agentId);
      const result = coordination.record(params);
      accepted[params.signalType]!.inc();
      return result;
    }
    if (params.signals.length > deps.config.maxBatch) {
      throw RpcError.protocol('INVALID_PARAMS', {
        paths: ['signals'],
        issues: [{ path: 'signals', message: `at most ${deps.config.maxBatch} signals per call (COORDD_MAX_BATCH)` }],
      });
    }
    const signalIds: string[] = [];
    const rejections: { index: number; code: number; message: string; paths: string[] }[] = [];
    const acceptedByType = new Array<number>(SIGNAL_TYPES.length).fill(0);
    params.signals.forEach((entry, index) => {
      const parsed = SignalInput.safeParse(entry);
      if (!parsed.success) {
        reject(typeOf(entry));
        rejections.push({ index, code: INVALID_PARAMS_CODE, message: 'Invalid params', paths: invalidParamsData(parsed.error.issues).paths });
        return;
      }
      const signal = parsed.data;
      if (refusalFor(ctx.session, signal.agentId) !== undefined) {
        rejections.push({ index, code: FORBIDDEN_CODE, message: SPEAK_FOR_SELF, paths: ['agentId'] });
        reject(signal.signalType);
        return;
      }
      noteAdminActingFor(ctx.session, signal.agentId);
      signalIds.push(coordination.record(signal.traceId || !params.traceId ? signal : { ...signal, traceId: params.traceId }).signalId);
      acceptedByType[SIGNAL_TYPES.indexOf(signal.signalType)]!++;
    });
    acceptedByType.forEach((n, i) => n > 0 && accepted[SIGNAL_TYPES[i]!]!.inc(n));
    return { accepted: signalIds.length, signalIds, rejected: rejections };
  }, {
    // A single signal that fails its schema never reaches the handler; a batch whose envelope fails counts once per entry it had.
    onInvalidParams: (raw) => {
      const entries = typeof raw === 'object' && raw !== null && Array.isArray((raw as { signals?: unknown }).signals) ? ((raw as { signals: unknown[] }).signals) : [raw];
      for (const entry of entries) reject(typeOf(entry));
    },
  });

  const breakers = deps.breakers;
  engine.register(coordinationState, (params) => {
    if ('agentId' in params) {
      const one = coordination.state(params.agentId);
      return breakers ? { ...one, circuitBreaker: breakers.view(params.agentId) } : one;
    }
    const page = coordination.list(params);
    if (!breakers) return page;
    return { ...page, agents: page.agents.map((a) => ({ ...a, circuitBreaker: breakers.view(a.agentId) })), circuitBreakers: breakers.entries() };
  });

  engine.register(coordinationPredictOverload, (params) => coordination.predictOverload(params.agentId, params.horizonSeconds, params.basis));

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
