import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** RPC calls, WebSocket connections, refused upgrades and the build. */
export function connectionMetrics(registry: Registry) {
  return {
    rpcRequests: new Counter({
      name: 'coordd_rpc_requests_total',
      help: 'JSON-RPC calls handled, by method and outcome code ("ok" or the JSON-RPC error code)',
      labelNames: ['method', 'code'] as const,
      registers: [registry],
    }),

    rpcDuration: new Histogram({
      name: 'coordd_rpc_request_duration_seconds',
      help: 'Time to handle one JSON-RPC call, by method',
      labelNames: ['method'] as const,
      buckets: [
        0.00001, 0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        30,
      ],
      registers: [registry],
    }),

    wsConnections: new Gauge({
      name: 'coordd_ws_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),

    wsDisconnects: new Counter({
      name: 'coordd_ws_disconnects_total',
      help: 'WebSocket connections closed by the daemon, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),

    authFailures: new Counter({
      name: 'coordd_auth_failures_total',
      help: 'WebSocket upgrades refused for a missing or unknown token',
      registers: [registry],
    }),

    originRefusals: new Counter({
      name: 'coordd_origin_refusals_total',
      help: "WebSocket upgrades refused because their Origin is neither the daemon's own nor in COORDD_ALLOWED_ORIGINS",
      registers: [registry],
    }),

    buildInfo: new Gauge({
      name: 'coordd_build_info',
      help: 'Always 1; the version label says which coordd is running',
      labelNames: ['version'] as const,
      registers: [registry],
    }),
  };
}

export type ConnectionMetrics = ReturnType<typeof connectionMetrics>;
