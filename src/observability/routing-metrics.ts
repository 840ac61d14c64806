import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** Read at scrape time: wiring/metrics-wiring.ts points them at the daemon's state. */
export interface RoutingSources {
  conversationsSource: () => number;
  breakerSource: () => Record<string, number>;
}

/** Message routing (router.route), conversations and circuit breakers. */
export function routingMetrics(registry: Registry, self: RoutingSources) {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    routeMessages: counter('coordd_route_messages_total', 'Messages handled by router.route, by outcome (delivered or failed after every attempt)', [
      'outcome',
    ]),

    routeAttempts: counter('coordd_route_attempts_total', 'message.deliver attempts, by outcome (ok, timeout, error, disconnected)', ['outcome']),

    routeDecisions: counter('coordd_route_decisions_total', 'How the first agent for a message was chosen (supervisor, intent_rule, strategy)', ['by']),

    supervisorFallbacks: counter('coordd_route_supervisor_fallbacks_total', 'Supervisor decisions not used, by reason (timeout, error, invalid, unavailable)', [
      'reason',
    ]),

    routeOverhead: histogram(
      'coordd_route_overhead_seconds',
      "The daemon's own time routing one message, excluding the agents' time",
      [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1],
    ),

    conversationsSource: (() => 0) as RoutingSources['conversationsSource'],

    conversations: gauge('coordd_conversations', 'Conversations held in memory', [], function () {
      this.set(self.conversationsSource());
    }),

    breakerSource: (() => ({})) as RoutingSources['breakerSource'],

    circuitBreakers: gauge('coordd_circuit_breakers', 'Per-agent circuit breakers by state (closed, open, half_open)', ['state'], function () {
      this.reset();
      for (const [state, n] of Object.entries(self.breakerSource())) this.labels(state).set(n);
    }),

    breakerTransitions: counter('coordd_circuit_breaker_transitions_total', 'Circuit breaker state changes, by the state entered', ['to']),
  };
}

export type RoutingMetrics = ReturnType<typeof routingMetrics>;
