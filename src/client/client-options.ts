import type WebSocket from 'ws';
import type { BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import type { CoordClient } from './client.js';
import type { OpenTransport } from './client-transport.js';
import type { ClientLogger } from './logger.js';
import type { ClientTimers, systemTimers } from './timers.js';

/** Options of {@link CoordClient}. */
export interface CoordClientOptions {
  /**
   * The daemon's WebSocket URL, e.g. `ws://127.0.0.1:7420/rpc`, or several (the replicas of a
   * cluster): the first connection tries them in order, and every reconnect moves on to the next.
   * Needed unless `transport` is given.
   */
  url?: string | string[];
  /** Bearer token sent with every upgrade (when the daemon has tokens configured). */
  token?: string;
  /** Automatic reconnection after the socket drops; `false` disables it. @defaultValue {@link DEFAULT_BACKOFF} */
  reconnect?: Partial<BackoffOptions> | false;
  /** Default per-request timeout; `0` waits forever. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /**
   * How many times {@link CoordClient.assign} retries a `pool.assign` that carries an
   * `idempotencyKey` after a retryable error (LEADER_UNAVAILABLE) or a lost connection; `0` never does.
   * @defaultValue 5
   */
  assignRetries?: number;
  /** How long the WebSocket opening handshake may take before the attempt fails (a frozen replica accepts TCP and never answers). @defaultValue 10000 */
  connectTimeoutMs?: number;
  /**
   * Ping the daemon this often and drop the connection (then reconnect, to the next URL) when the
   * previous ping got no pong: a replica that froze or was cut off is noticed. `0` turns it off. @defaultValue 20000
   */
  keepaliveMs?: number;
  /**
   * Runs on every new socket before the client counts as open (e.g. `agent.register`); requests
   * work inside it. A throw fails that connection attempt: `connect()` rejects, or the next
   * reconnect is scheduled with a longer delay.
   */
  handshake?: (client: CoordClient, info: { reconnected: boolean }) => Promise<void>;
  /** @defaultValue a silent logger */
  log?: ClientLogger;
  /** Uniform source in [0,1) for backoff jitter. @defaultValue Math.random */
  random?: () => number;
  /** Where request timeouts and reconnect delays are scheduled (tests pass a virtual clock). @defaultValue {@link systemTimers} */
  timers?: ClientTimers;
  /** Passed to `ws` for every connection, e.g. `{ ca: readFileSync('ca.pem') }` to trust a private CA for wss://. */
  wsOptions?: WebSocket.ClientOptions;
  /** How each connection is opened. @defaultValue a WebSocket to `url` (see client-transport.ts) */
  transport?: OpenTransport;
}

export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`; `0` waits forever. */
  timeoutMs?: number;
}

/** Message handlers the daemon may call on this connection (requests or notifications). */
export type MethodHandler = (params: unknown, meta: { notification: boolean }) => unknown;
