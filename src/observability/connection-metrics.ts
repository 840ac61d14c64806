import type { Registry } from 'prom-client';
import { metricsOn } from './metric-factories.js';

/** RPC calls, WebSocket connections, refused upgrades and the build. */
export function connectionMetrics(registry: Registry) {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    rpcRequests: counter('coordd_rpc_requests_total', 'JSON-RPC calls handled, by method and outcome code ("ok" or the JSON-RPC error code)', [
      'method',
      'code',
    ]),

    rpcDuration: histogram(
      'coordd_rpc_request_duration_seconds',
      'Time to handle one JSON-RPC call, by method',
      [
        0.00001, 0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        30,
      ],
      ['method'],
    ),

    wsConnections: gauge('coordd_ws_connections', 'Open WebSocket connections'),

    wsDisconnects: counter('coordd_ws_disconnects_total', 'WebSocket connections closed by the daemon, by reason', ['reason']),

    authFailures: counter('coordd_auth_failures_total', 'WebSocket upgrades refused for a missing or unknown token'),

    originRefusals: counter(
      'coordd_origin_refusals_total',
      "WebSocket upgrades refused because their Origin is neither the daemon's own nor in COORDD_ALLOWED_ORIGINS",
    ),

    buildInfo: gauge('coordd_build_info', 'Always 1; the version label says which coordd is running', ['version']),
  };
}

export type ConnectionMetrics = ReturnType<typeof connectionMetrics>;
