import { createClient } from 'redis';
import { Registry } from 'prom-client';
import { relayKeys, type DuplicableRedis, type RelayKeys } from '../../src/cluster/relay/relay-streams.js';
import { LeaderInbox, type LeaderCore, type LeaderInboxOptions } from '../../src/cluster/relay/leader-inbox.js';
import { GatewayRelay, type GatewayRelayOptions } from '../../src/cluster/relay/gateway-relay.js';
import { DEFAULT_CLUSTER_OPTIONS } from '../../src/cluster/cluster-options.js';
import { loadConfig } from '../../src/config.js';
import { Daemon } from '../../src/daemon.js';
import { uuid } from '../../src/ids.js';
import { silentLog } from '../../src/log.js';
import { createLogger } from '../../src/observability/logger.js';
import { ClusterMetrics } from '../../src/observability/cluster-metrics.js';
import { TokenTable } from '../../src/transport/auth.js';
import { DEFAULT_HTTP_SERVER_OPTIONS, HttpServer } from '../../src/transport/http-server.js';
import { LinkedTransport } from '../../src/transport/linked-pair.js';
import { OriginPolicy } from '../../src/transport/origin-policy.js';
import { gatewayCalls } from '../../src/wiring/cluster-calls.js';
import type { RedisServer } from './redis-server.js';
import { TestClient } from './ws-client.js';

export type Redis = ReturnType<typeof createClient>;

/** A node-redis client as the relay's narrow interface (the structural match is checked here, once). */
export const asRelayRedis = (client: Redis): DuplicableRedis => client as unknown as DuplicableRedis;

/** One gateway: a real HTTP/WebSocket server whose connections its GatewayRelay relays. */
export interface TestGateway {
  readonly gatewayId: string;
  readonly relay: GatewayRelay;
  readonly url: string;
  readonly metrics: ClusterMetrics;
  readonly registry: Registry;
  /** A real WebSocket client of this gateway. */
  connect(): Promise<TestClient>;
  stop(): Promise<void>;
}

export interface TestLeader {
  readonly daemon: Daemon;
  readonly inbox: LeaderInbox;
  readonly core: LeaderCore;
  /** A client attached to the leader's core directly (as a connection on the leader replica is). */
  direct(): TestClient;
  stop(): Promise<void>;
}

/**
 * The relay without cluster-core: a real redis-server, an in-process Daemon (memory stores) fed
 * by a LeaderInbox whose commit resolves at once, and gateways that are real HTTP servers relaying
 * their WebSockets through Redis.
 */
export class RelayHarness {
  readonly keys: RelayKeys = relayKeys(DEFAULT_CLUSTER_OPTIONS);
  private readonly clients: Redis[] = [];
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(readonly redis: RedisServer) {}

  /** A connected node-redis client (closed by stop()). */
  async client(): Promise<Redis> {
    const c = createClient({ url: this.redis.url });
    c.on('error', () => undefined);
    await c.connect();
    this.clients.push(c);
    return c;
  }

  /** A leader of `term`: a Daemon fed by a LeaderInbox (consumer `nodeId`). */
  async leader(
    term: number,
    opts: { nodeId?: string; env?: Record<string, string>; inbox?: Partial<LeaderInboxOptions>; committed?: () => Promise<void> } = {},
  ): Promise<TestLeader> {
    // A relayed call the old leader still waits on (after a leader change) must not hold the stop for long.
    const config = loadConfig({ COORDD_PORT: '0', COORDD_STORE: 'memory', COORDD_LOG_LEVEL: 'silent', COORDD_SHUTDOWN_TIMEOUT: '0.5', ...opts.env });
    const daemon = new Daemon(config, { logger: createLogger('silent', { write: () => undefined }), validateResults: true });
    await daemon.start();
    const redis = asRelayRedis(await this.client());
    const core: LeaderCore = { term, connect: (t, identity) => daemon.connect(t, identity), committed: opts.committed ?? (() => Promise.resolve()), redis };
    const inbox = new LeaderInbox({ core, keys: this.keys, consumer: opts.nodeId ?? `leader-${term}`, log: silentLog }, opts.inbox);
    await inbox.start();
    let n = 0;
    let stopped = false;
    const leader: TestLeader = {
      daemon,
      inbox,
      core,
      direct() {
        const [client, server] = LinkedTransport.pair(`direct-${term}-${++n}`);
        daemon.connect(server, { role: 'admin' });
        return TestClient.over(client);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await inbox.stop();
        await daemon.stop();
      },
    };
    this.closers.push(() => leader.stop());
    return leader;
  }

  /** A gateway relaying to the leader of `term` (none: it waits for leaderChanged). */
  async gateway(term: number | undefined, opts: { gatewayId?: string; relay?: Partial<GatewayRelayOptions>; tokens?: TokenTable } = {}): Promise<TestGateway> {
    const gatewayId = opts.gatewayId ?? `gw-${uuid().slice(0, 8)}`;
    const registry = new Registry();
    const metrics = new ClusterMetrics(registry);
    const redis = asRelayRedis(await this.client());
    const local = gatewayCalls({
      source: { status: () => ({ nodeId: gatewayId, term: term ?? 0, nodes: [] }) },
      log: silentLog,
    });
    const relay = new GatewayRelay({ redis, keys: this.keys, gatewayId, log: silentLog, local, onForwarded: (n) => metrics.forwardedCalls.inc(n) }, opts.relay);
    await relay.start();
    if (term !== undefined) relay.leaderChanged({ nodeId: `leader-${term}`, term });
    const tokens = opts.tokens ?? new TokenTable([]);
    const http = new HttpServer(
      {
        log: silentLog,
        ids: uuid,
        tokens,
        origins: new OriginPolicy({ tls: false, bindHost: '127.0.0.1', allowed: [] }),
        metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
        isReady: () => true,
        onConnection: (t, identity) => relay.open(t, identity),
      },
      { ...DEFAULT_HTTP_SERVER_OPTIONS, host: '127.0.0.1', port: 0 },
    );
    const { url } = await http.listen();
    let stopped = false;
    const gw: TestGateway = {
      gatewayId,
      relay,
      url,
      metrics,
      registry,
      connect: () => TestClient.connect(url),
      async stop() {
        if (stopped) return;
        stopped = true;
        await http.close(1001, 'gateway stopping', 500);
        await relay.close();
      },
    };
    this.closers.push(() => gw.stop());
    return gw;
  }

  async stop(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    for (const c of this.clients) c.destroy();
  }
}
