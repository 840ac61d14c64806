import WebSocket from 'ws';
import { ClientError } from './errors.js';
import type { ClientLogger } from './logger.js';
import type { ClientTimers, TimerHandle } from './timers.js';

/** How the default WebSocket transport watches its connection. */
export interface WebSocketLiveness {
  /** How long the opening handshake may take (a frozen daemon accepts TCP and never answers). */
  connectTimeoutMs: number;
  /** Ping this often; a ping still unanswered at the next tick drops the connection. `0`: off. */
  keepaliveMs: number;
  /** Where the keepalive ticks are scheduled. */
  timers: ClientTimers;
}

/**
 * One connection of the client to the daemon: text frames both ways, nothing of JSON-RPC. A
 * WebSocket is the default; a test may hand the client one end of the daemon's in-memory linked
 * pair (src/transport/linked-pair.ts fits this shape) and run the daemon in the same process.
 */
export interface ClientTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
  onmessage?: (text: string) => void;
  /** Called once, when the connection has closed. */
  onclose?: (code: number, reason: string) => void;
}

/**
 * Opens one connection (the first, and each reconnect) and resolves once it is open; rejects with
 * a ClientError when it cannot. `signal` aborts an attempt still opening (the client was closed).
 */
export type OpenTransport = (signal: AbortSignal) => Promise<ClientTransport>;

/** The default: a WebSocket to `url`, the token sent as a bearer token with the upgrade. */
export function webSocketTransport(
  url: string,
  token: string | undefined,
  wsOptions: WebSocket.ClientOptions | undefined,
  log: ClientLogger,
  liveness?: WebSocketLiveness,
): OpenTransport {
  const headers = token ? { ...wsOptions?.headers, authorization: `Bearer ${token}` } : wsOptions?.headers;
  return (signal) =>
    new Promise((resolve, reject) => {
      const handshake = liveness ? { handshakeTimeout: liveness.connectTimeoutMs } : {};
      const ws = new WebSocket(url, { ...handshake, ...wsOptions, ...(headers ? { headers } : {}) });
      let stopKeepalive = (): void => undefined;
      const transport: ClientTransport = {
        send: (text) => ws.send(text, (error) => error && log.debug({ err: error, url }, 'could not send a frame')),
        close: (code, reason) => (ws.readyState === WebSocket.CONNECTING ? ws.terminate() : ws.close(code, reason)),
      };
      const abort = (): void => ws.terminate();
      signal.addEventListener('abort', abort, { once: true });
      let failure: Error | undefined;
      ws.on('error', (error) => {
        failure = error;
        log.debug({ err: error, url }, 'socket error');
      });
      ws.on('message', (data) => transport.onmessage?.(String(data)));
      ws.once('open', () => {
        signal.removeEventListener('abort', abort);
        if (liveness) stopKeepalive = keepalive(ws, url, liveness, log);
        resolve(transport);
      });
      ws.once('close', (code, reason) => {
        signal.removeEventListener('abort', abort);
        stopKeepalive();
        transport.onclose?.(code, reason.toString());
        reject(signal.aborted ? new ClientError('CLOSED', 'the client was closed while connecting') : connectError(url, failure, code));
      });
    });
}

/** Ping every keepaliveMs; a ping still unanswered at the next tick means the daemon is gone: terminate. Returns the stop. */
function keepalive(ws: WebSocket, url: string, liveness: WebSocketLiveness, log: ClientLogger): () => void {
  const { keepaliveMs, timers } = liveness;
  if (keepaliveMs <= 0) return () => undefined;
  let awaiting = false;
  ws.on('pong', () => (awaiting = false));
  const timer: TimerHandle = timers.setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (awaiting) {
      log.warn({ url, keepaliveMs }, 'no pong from the daemon: dropping the connection');
      ws.terminate();
      return;
    }
    awaiting = true;
    ws.ping();
  }, keepaliveMs);
  return () => timers.clearInterval(timer);
}

/** The error a failed connection attempt rejects with; 401/403 are final (AUTH_FAILED). */
function connectError(url: string, failure: Error | undefined, code: number): ClientError {
  const status = /Unexpected server response: (\d+)/.exec(failure?.message ?? '')?.[1];
  if (status === '401' || status === '403') return new ClientError('AUTH_FAILED', `${url} refused the token (HTTP ${status})`, { cause: failure });
  return new ClientError('CONNECT_FAILED', `cannot connect to ${url}: ${failure?.message ?? `closed with ${code}`}`, { cause: failure });
}
