import type { Logger } from 'pino';
import type { StrategyName } from '../schemas/common.js';
import type { FileConfig } from '../config-file.js';
import type { ConversationRecordStore } from '../conversations/conversation-record-store.js';
import { ConversationStore } from '../conversations/conversation-store.js';
import type { IdGenerator } from '../ids.js';
import { MessageRoutingService } from '../messaging/message-routing-service.js';
import type { AgentDirectory } from '../messaging/routable-agent.js';
import type { Metrics } from '../observability/metrics.js';
import { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { ScoreSource } from '../routing/strategy.js';
import type { Clock } from '../time/clock.js';
import type { AlertInputs } from './alerts.js';
import { breakerMetrics, routeMetrics } from './metrics-wiring.js';

/** Per-agent circuit breakers, logged and counted (the pool subscribes to their half-open itself). */
export function createBreakers(
  deps: { clock: Clock; logger: Logger; metrics: Metrics; isLive: (agentId: string) => boolean },
  options: FileConfig['circuitBreaker'],
): CircuitBreakers {
  const log = deps.logger.child({ component: 'circuit-breaker' });
  const counted = breakerMetrics(deps.metrics);
  return new CircuitBreakers(
    {
      clock: deps.clock,
      isLive: deps.isLive,
      onTransition: (t) => {
        counted(t);
        if (t.to === 'open') log.warn(t, 'circuit breaker opened: agent kept out of routing');
        else log.info(t, `circuit breaker ${t.to}`);
      },
    },
    { failureThreshold: options.failureThreshold, cooldownMs: options.cooldownSeconds * 1000 },
  );
}

export interface MessagingWiringDeps {
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: Metrics;
  alerts: AlertInputs;
  router: AgentRouter;
  scores: ScoreSource;
  agents: AgentDirectory;
  breakers: CircuitBreakers;
  /** Where conversations are kept across restarts. @defaultValue none (memory only) */
  records?: ConversationRecordStore;
}

/** Conversations and router.route's service, with their metrics and the overhead alert fed. */
export function createMessaging(
  deps: MessagingWiringDeps,
  file: Pick<FileConfig, 'routing' | 'conversations'>,
  defaultStrategy: StrategyName,
): { conversations: ConversationStore; messaging: MessageRoutingService } {
  const { alerts } = deps;
  const counted = routeMetrics(deps.metrics);
  const c = file.conversations;
  const conversations = new ConversationStore(
    { clock: deps.clock, records: deps.records },
    {
      historyMessages: c.historyMessages,
      historyBytes: c.historyBytes,
      maxMessages: c.maxMessages,
      maxConversations: c.maxConversations,
      idleTtlMs: c.idleTtlSeconds * 1000,
      maxConversationBytes: c.maxConversationBytes,
      maxTotalBytes: c.maxTotalBytes,
    },
  );
  const r = file.routing;
  const messaging = new MessageRoutingService(
    {
      ids: deps.ids,
      router: deps.router,
      scores: deps.scores,
      agents: deps.agents,
      conversations,
      breakers: deps.breakers,
      elapsedMs: () => deps.clock.elapsed(),
      log: deps.logger.child({ component: 'messaging' }),
      observer: {
        ...counted,
        attempt: (outcome, seconds) => {
          counted.attempt(outcome, seconds);
          // One work item per delivery attempt, as the Prometheus overhead rule counts them.
          alerts.agentWork(seconds);
        },
        routed: (outcome, overheadSeconds, agentSeconds) => {
          counted.routed(outcome, overheadSeconds, agentSeconds);
          alerts.coordinationTime(overheadSeconds);
        },
      },
    },
    {
      intentRules: r.intentRules,
      supervisorCapability: r.supervisorCapability,
      supervisorTimeoutMs: r.supervisorTimeoutSeconds * 1000,
      maxAttempts: r.maxAttempts,
      deliverTimeoutMs: r.deliverTimeoutSeconds * 1000,
      maxDeliverTimeoutMs: r.maxDeliverTimeoutSeconds * 1000,
      defaultStrategy,
    },
  );
  return { conversations, messaging };
}
