import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface RoutingSources {
  conversationsSource: () => number;
  breakerSource: () => Record<string, number>;
}

/** Message routing (router.route), conversations and circuit breakers. */
export function routingMetrics(registry: Registry, self: RoutingSources) {
  return {
    routeMessages: new Counter({
      name: 'coordd_route_messages_total',
      help: 'Messages handled by router.route, by outcome (delivered or failed after every attempt)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),

    routeAttempts: new Counter({
      name: 'coordd_route_attempts_total',
      help: 'message.deliver attempts, by outcome (ok, timeout, error, disconnected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),

    routeDecisions: new Counter({
      name: 'coordd_route_decisions_total',
      help: 'How the first agent for a message was chosen (supervisor, intent_rule, strategy)',
      labelNames: ['by'] as const,
      registers: [registry],
    }),

    supervisorFallbacks: new Counter({
      name: 'coordd_route_supervisor_fallbacks_total',
      help: 'Supervisor decisions not used, by reason (timeout, error, invalid, unavailable)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),

    routeOverhead: new Histogram({
      name: 'coordd_route_overhead_seconds',
      help: "The daemon's own time routing one message, excluding the agents' time",
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1],
      registers: [registry],
    }),

    conversationsSource: (() => 0) as RoutingSources['conversationsSource'],

    conversations: new Gauge({
      name: 'coordd_conversations',
      help: 'Conversations held in memory',
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.set(self.conversationsSource());
      },
    }),

    breakerSource: (() => ({})) as RoutingSources['breakerSource'],

    circuitBreakers: new Gauge({
      name: 'coordd_circuit_breakers',
      help: 'Per-agent circuit breakers by state (closed, open, half_open)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect(this: Gauge<string>): void {
        this.reset();
        for (const [state, n] of Object.entries(self.breakerSource())) this.labels(state).set(n);
      },
    }),

    breakerTransitions: new Counter({
      name: 'coordd_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: ['to'] as const,
      registers: [registry],
    }),
  };
}

export type RoutingMetrics = ReturnType<typeof routingMetrics>;
