import { ClientError, CoordClient, type AgentWorker, type OpenTransport } from '../../src/client/index.js';
import { loadConfig } from '../../src/config.js';
import { Daemon } from '../../src/daemon.js';
import { buildTokens } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { LinkedTransport } from '../../src/transport/linked-pair.js';
import { settled } from './settled.js';
import { TestClient } from './ws-client.js';

type LogLine = Record<string, unknown>;

export interface InProcessDaemon {
  daemon: Daemon;
  /** The daemon's HTTP server (it listens on 127.0.0.1, port 0, as the process does): /metrics, /livez... */
  httpUrl: string;
  /** The daemon's only clock: nothing it schedules happens until `advance()` moves it. */
  clock: VirtualClock;
  /** Every log line so far, parsed. */
  logs: LogLine[];
  /** Resolves with the first log line matching, waiting for it if need be. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** A client over an in-memory linked pair, authenticated with `token` as an upgrade would be. */
  connect(token?: string): TestClient;
  /** CoordClient's / AgentWorker's `transport` option: each connection (reconnects too) a new linked pair, authenticated with `token`. */
  transport(token?: string): OpenTransport;
  /** Move the clock `ms` forward in steps, letting replies and callbacks run after each. */
  advance(ms: number, stepMs?: number): Promise<void>;
  /**
   * Move the clock in `stepMs` steps until `awaited` settles (what a test waits for happens on
   * a timer: an alert evaluation, a lease expiry); fails after `maxMs` of virtual time.
   */
  advanceUntil<T>(awaited: Promise<T>, what: string, stepMs?: number, maxMs?: number): Promise<T>;
  /** The /metrics text, from the daemon's HTTP server. */
  metrics(): Promise<string>;
  /** Graceful stop, as SIGTERM does (the clock moves if draining waits on it). */
  stop(): Promise<void>;
}

/** Let callbacks already queued (frames in flight, resolved promises) run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The real daemon built from `env` as the process builds it (config, tokens, log lines) and
 * started in this process on a VirtualClock. Clients reach it through `daemon.connect()`, the
 * path every accepted WebSocket takes, over in-memory linked pairs: no socket, no waiting.
 * Its HTTP server listens too (port 0), for the tests that read /livez or /healthz.
 */
export async function startInProcess(env: Record<string, string> = {}): Promise<InProcessDaemon> {
  const config = loadConfig({ COORDD_PORT: '0', COORDD_LOG_LEVEL: 'info', ...env });
  const tokens = buildTokens(config);
  const clock = new VirtualClock(Date.now());
  const logs: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const destination = {
    write(line: string): void {
      const parsed = JSON.parse(line) as LogLine;
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    },
  };
  const daemon = new Daemon(config, { logger: createLogger(config.logLevel, destination), clock, tokens, validateResults: true });
  const { port } = await daemon.start();
  let connections = 0;
  /** The client end of a new linked pair whose server end the daemon took, as it takes an accepted WebSocket. */
  const open = (token: string | undefined): LinkedTransport => {
    const identity = tokens.authenticate(token === undefined ? undefined : `Bearer ${token}`);
    if (!identity) throw new ClientError('AUTH_FAILED', 'unknown token (a WebSocket upgrade would get 401)');
    const [client, server] = LinkedTransport.pair(`mem-${++connections}`);
    daemon.connect(server, identity);
    return client;
  };
  return {
    daemon,
    httpUrl: `http://127.0.0.1:${port}`,
    clock,
    logs,
    waitForLog(match) {
      const found = logs.find(match);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    connect(token) {
      return TestClient.over(open(token));
    },
    transport: (token) => async () => open(token),
    async advance(ms, stepMs = 10) {
      await flush();
      for (let left = ms; left > 0; left -= stepMs) {
        clock.advance(Math.min(stepMs, left));
        await flush();
      }
    },
    async advanceUntil(awaited, what, stepMs = 10, maxMs = 60_000) {
      await flush();
      for (let moved = 0; !(await settled(awaited)); moved += stepMs) {
        if (moved >= maxMs) throw new Error(`${what} did not happen within ${maxMs} ms of virtual time`);
        clock.advance(stepMs);
      }
      return awaited;
    },
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    async stop() {
      const stopped = daemon.stop();
      while (!(await settled(stopped))) clock.advance(100);
      await stopped;
    },
  };
}

/** What `inProcessSuite` holds for its describe block (set once its before() hook ran). */
export interface InProcessSuite {
  daemon: InProcessDaemon;
  /** An operator client, connected for the whole block. */
  op: CoordClient;
  /** The AgentWorkers a test started: stopped after it. */
  workers: AgentWorker[];
}

/**
 * Mocha hooks for the describe block it is called in: one in-process daemon built from `env()`
 * and an operator client for the whole block, each test's AgentWorkers stopped after it.
 */
export function inProcessSuite(env: () => Record<string, string> = () => ({})): InProcessSuite {
  const suite = { workers: [] as AgentWorker[] } as InProcessSuite;
  before(async () => {
    suite.daemon = await startInProcess(env());
    suite.op = await CoordClient.connect({ transport: suite.daemon.transport() });
  });
  afterEach(async () => {
    await Promise.all(suite.workers.splice(0).map((w) => w.stop()));
  });
  after(async () => {
    await suite.op.close();
    await suite.daemon.stop();
  });
  return suite;
}
