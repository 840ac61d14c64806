import { expect } from 'chai';
import { Gauge } from 'prom-client';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import type { ClusterRelay, LeaderCore, LeaderInfo, RelayContext } from '../../../src/cluster/relay-ports.js';
import { loadConfig } from '../../../src/config.js';
import type { Transport } from '../../../src/transport/transport.js';
import { until } from '../../support/settled.js';
import { TestClient } from '../../support/ws-client.js';
import { quietLogger, redisFixture } from './redis-fixture.js';

/** A relay that records what the node tells it and holds the follower's connections open. */
function recordingRelay() {
  const log: string[] = [];
  const opened: Transport[] = [];
  let core: LeaderCore | undefined;
  let context: RelayContext | undefined;
  const factory = (ctx: RelayContext): ClusterRelay => {
    context = ctx;
    new Gauge({ name: 'coordd_cluster_test_gauge', help: 'a relay metric', registers: [ctx.registry] }).set(7);
    return {
      gateway: {
        open: (transport) => {
          opened.push(transport);
          log.push('open');
        },
        leaderChanged: (leader: LeaderInfo | undefined) => log.push(`leader ${leader ? `${leader.nodeId}@${leader.term}` : '-'}`),
        close: async () => void log.push('close'),
      },
      attach: (c) => {
        core = c;
        log.push(`attach ${c.term}`);
      },
      detach: (c) => {
        if (core === c) core = undefined;
        log.push(`detach ${c.term}`);
      },
    };
  };
  return {
    factory,
    log,
    opened,
    get core() {
      return core;
    },
    get context() {
      return context;
    },
  };
}

describe('cluster/ClusterNode in process: roles, relay ports, stepping down', function () {
  this.timeout(30_000);
  const redis = redisFixture(this);
  const nodes: ClusterNode[] = [];
  const clients: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  const node = async (nodeId: string, relay = recordingRelay()) => {
    const config = loadConfig({
      COORDD_STORE: redis.server.url,
      COORDD_PORT: '0',
      COORDD_NODE_ID: nodeId,
      COORDD_CLUSTER_LEASE: '2',
      COORDD_CLUSTER_PREFIX: '{n}:',
    });
    const n = new ClusterNode(config, { logger: quietLogger, relay: relay.factory });
    nodes.push(n);
    const { url } = await n.start();
    return { node: n, relay, url, http: url.replace('ws://', 'http://').replace('/rpc', '') };
  };
  /** On an emptied Redis: node a, leading, and node b, seeing it lead. */
  const leaderAndFollower = async () => {
    await redis.server.command(['FLUSHALL']);
    const a = await node('a');
    await until(() => a.node.leading, 'a leading');
    const b = await node('b');
    await until(() => b.relay.log.includes('leader a@1'), 'b seeing a');
    return { a, b };
  };
  const readyz = async (http: string): Promise<number> => (await fetch(`${http}/readyz`)).status;
  const connect = async (url: string): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };

  it('the leader serves on its core and hands it to the relay; a follower routes connections to the gateway port; both are ready', async () => {
    await redis.server.command(['FLUSHALL']);
    const a = await node('a');
    await until(() => a.node.leading, 'a leading');
    expect(a.relay.log).to.deep.equal(['leader a@1', 'attach 1']);
    expect(a.relay.context?.nodeId).to.equal('a');
    expect(a.relay.core?.term).to.equal(1);
    const c = await connect(a.url);
    const status = await c.request('pool.status', {});
    expect(status.store.name).to.equal(redis.server.url);
    await a.relay.core!.committed();

    const b = await node('b');
    await until(() => b.relay.log.includes('leader a@1'), 'b seeing a');
    expect(await readyz(a.http)).to.equal(200);
    expect(await readyz(b.http)).to.equal(200);
    await connect(b.url);
    await until(() => b.relay.opened.length === 1, 'the gateway to get the connection');
    // The relay's metrics are served beside the core's (leader) or the node's (follower).
    for (const http of [a.http, b.http]) {
      const text = await (await fetch(`${http}/metrics`)).text();
      expect(text).to.contain('coordd_cluster_test_gauge 7');
      expect(text).to.contain('coordd_rpc');
    }
  });

  it('a leader whose commit is refused (another term) answers LEADER_UNAVAILABLE, closes with 1012, detaches; a stopped leader hands over at once', async () => {
    const { a, b } = await leaderAndFollower();
    const c = await connect(a.url);
    await c.request('pool.assign', { type: 'job' });
    // Another leadership began behind a's back (as after a pause past its lease).
    await redis.server.command(['INCR', '{n}:term']);
    const reply = await c.call('pool.assign', { type: 'job' });
    expect(reply.error.code).to.equal(-32007);
    expect(reply.error.data.retryAfterMs).to.be.a('number');
    expect((await c.closed).code).to.equal(1012);
    expect(a.relay.log).to.include('detach 1');
    await until(() => a.node.leading || b.node.leading, 'a leader again');
    const leader = a.node.leading ? a : b;
    expect(leader.relay.core!.term).to.equal(3);
    // The assign acknowledged before is there; the refused one is not.
    const c2 = await connect(leader.url);
    const listed = await c2.request('task.list', {});
    expect(listed.tasks).to.have.length(1);
    // A graceful stop frees the lease: the other replica leads before the 2 s lease would have expired.
    const other = leader === a ? b : a;
    const stoppedAt = Date.now();
    await leader.node.stop();
    await until(() => other.node.leading, 'the other to lead');
    expect(Date.now() - stoppedAt).to.be.lessThan(2000);
    expect(other.relay.core!.term).to.equal(4);
    expect(leader.relay.log.slice(-2)).to.deep.equal([`detach 3`, 'close']);
  });

  it('leases held on the old leader stay held on the new one, and fencing tokens keep increasing', async () => {
    const { a, b } = await leaderAndFollower();
    const agent = await connect(a.url);
    await agent.request('agent.register', { agentId: 'x', capabilities: [], capacity: 1 });
    const first = await agent.request('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 60 });
    await a.node.stop();
    await until(() => b.node.leading, 'b leading');
    const other = await connect(b.url);
    await other.request('agent.register', { agentId: 'y', capabilities: [], capacity: 1 });
    const busy = await other.call('resource.acquire', { resource: 'db', mode: 'exclusive', ttlSeconds: 60 });
    expect(busy.error.code, 'still held by x').to.be.lessThan(-32000);
    const next = await other.request('resource.acquire', { resource: 'cache', mode: 'exclusive', ttlSeconds: 60 });
    expect(next.fencingToken).to.be.greaterThan(first.fencingToken);
  });
});
