import type { Config } from '../config.js';
import { loadTlsFiles, type TlsMaterial } from '../tls-files.js';
import { HttpServer, type HttpServerDeps } from './http-server.js';
import { OriginPolicy } from './origin-policy.js';

/**
 * The HTTP/WebSocket server of a daemon or a cluster replica: the listening options, origin
 * policy and TLS files from `config` (`tls`, given by tests, stands in for the files); the caller
 * gives what it serves.
 */
export function configuredHttpServer(config: Config, served: Omit<HttpServerDeps, 'origins'>, tls?: TlsMaterial): HttpServer {
  return new HttpServer(
    { ...served, origins: new OriginPolicy({ tls: config.tls !== undefined, bindHost: config.host, allowed: config.allowedOrigins }) },
    {
      host: config.host,
      port: config.port,
      maxPayloadBytes: config.maxPayloadBytes,
      maxConnections: config.maxConnections,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      highWaterMarkBytes: config.sendHighWaterMarkBytes,
      tls: tls ?? (config.tls && loadTlsFiles(config.tls)),
    },
  );
}
