import { randomBytes } from 'node:crypto';
import { ClusterMetrics } from '../../observability/cluster-metrics.js';
import type { Identity } from '../../transport/auth.js';
import type { Transport } from '../../transport/transport.js';
import { gatewayCalls, serveClusterStatus } from '../../wiring/cluster-calls.js';
import { GatewayWatch, Membership } from '../membership.js';
import type { ClusterRelay, GatewayPort, LeaderCore, RelayContext } from '../relay-ports.js';
import { GatewayRelay } from './gateway-relay.js';
import { LeaderInbox } from './leader-inbox.js';
import { relayKeys, type DuplicableRedis } from './relay-streams.js';

/**
 * The relay plugged into a ClusterNode. Every replica: a GatewayRelay for its follower connections,
 * membership heartbeats, cluster.status answered locally and the cluster metrics. While it leads:
 * a LeaderInbox feeding the core, the watch that declares silent gateways lost, and cluster.status
 * on the core's engine.
 */
export class ClusterRelayNode implements ClusterRelay {
  readonly gatewayId: string;
  readonly membership: Membership;
  readonly relay: GatewayRelay;
  readonly metrics: ClusterMetrics;
  private leading: { core: LeaderCore; inbox: LeaderInbox; watch: GatewayWatch } | undefined;
  private readonly started: Promise<void>;
  private localAgents = 0;
  /** The gateway port (GatewayPort) the node routes follower connections to. */
  readonly gateway: GatewayPort;

  constructor(private readonly context: RelayContext) {
    const { nodeId, options, logger, clock } = context;
    const redis: DuplicableRedis = context.redis;
    this.gatewayId = `${nodeId}.${randomBytes(4).toString('hex')}`;
    const keys = relayKeys(options);
    this.metrics = new ClusterMetrics(context.metrics.registry);
    this.membership = new Membership(
      {
        redis,
        nodeId,
        gatewayId: this.gatewayId,
        url: () => context.url(),
        agents: () => this.agents(),
        log: logger.child({ component: 'membership' }),
        clock,
      },
      { prefix: options.prefix, nodeTtlMs: options.nodeTtlMs },
    );
    this.relay = new GatewayRelay(
      {
        redis,
        keys,
        gatewayId: this.gatewayId,
        log: logger,
        clock,
        local: gatewayCalls({ source: this.membership, log: logger }),
        onForwarded: (n) => this.metrics.forwardedCalls.inc(n),
      },
      { forwardWaitMs: options.forwardWaitMs, retryAfterMs: Math.min(options.leaseMs, 1000) },
    );
    this.started = Promise.all([this.membership.start(), this.relay.start()]).then(
      () => undefined,
      (err: unknown) => logger.error({ err: { message: (err as Error)?.message } }, 'the relay could not start'),
    );
    this.gateway = {
      open: (transport, identity) => this.relay.open(transport, identity),
      leaderChanged: (leader) => {
        this.metrics.term.set(leader?.term ?? 0);
        // Announced before the first relayed open (same connection, so in order): the new leader's watch knows this gateway.
        if (leader) this.membership.heartbeat().catch(() => undefined);
        this.relay.leaderChanged(leader);
      },
      close: () => this.close(),
    };
  }

  /** Membership and the gateway's stream reader are running. */
  ready(): Promise<void> {
    return this.started;
  }

  /** This replica leads `core`: read the calls stream into it, watch the gateways, serve cluster.status on it. */
  attach(core: LeaderCore): void {
    const { nodeId, options, logger, clock } = this.context;
    serveClusterStatus(core.engine, this.membership);
    for (const m of this.metrics.all()) {
      if (!core.metrics.registry.getSingleMetric(m.name)) core.metrics.registry.registerMetric(m.metric);
    }
    const inbox = new LeaderInbox({ core, keys: relayKeys(options), consumer: nodeId, log: logger, clock }, { upkeepMs: options.leaseMs });
    const watch = new GatewayWatch(
      { membership: this.membership, relayed: () => inbox.gateways(), lost: (g) => inbox.gatewayLost(g), log: logger, clock },
      { nodeTtlMs: options.nodeTtlMs },
    );
    this.leading = { core, inbox, watch };
    this.metrics.leader.set(1);
    this.metrics.term.set(core.term);
    this.metrics.measureLag(() => inbox.lag());
    inbox.start().then(
      () => watch.start(),
      (err: unknown) => logger.error({ err: { message: (err as Error)?.message }, term: core.term }, 'the leader could not read the calls stream'),
    );
  }

  /** That core is gone: stop feeding it. */
  detach(core: LeaderCore): void {
    if (this.leading?.core !== core) return;
    const { inbox, watch } = this.leading;
    this.leading = undefined;
    watch.stop();
    this.metrics.leader.set(0);
    this.metrics.measureLag(undefined);
    inbox.stop().catch(() => undefined);
  }

  /**
   * A connection this replica's own core serves (it leads): it counts as an agent once it calls
   * agent.register, until it closes. Its frames are looked at only until then.
   */
  served(transport: Transport, _identity: Identity): void {
    const handle = transport.onmessage;
    const closed = transport.onclose;
    let agent = false;
    transport.onmessage = (text) => {
      if (text.includes('"agent.register"')) {
        agent = true;
        this.localAgents++;
        transport.onmessage = handle;
      }
      handle?.(text);
    };
    transport.onclose = (code, reason) => {
      if (agent) this.localAgents--;
      closed?.(code, reason);
    };
  }

  /** Agent connections this replica holds: relayed, and served by its own core while it leads. */
  agents(): number {
    return this.relay.agents() + this.localAgents;
  }

  private async close(): Promise<void> {
    await this.relay.close();
    await this.membership.stop();
  }
}

/** The RelayFactory the ClusterNode takes. */
export const createClusterRelay = (context: RelayContext): ClusterRelayNode => new ClusterRelayNode(context);
