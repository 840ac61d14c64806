import { registerClusterApi, type ClusterStatusSource } from '../api/cluster-api.js';
import type { Log } from '../log.js';
import { RpcEngine } from '../rpc/engine.js';
import { RpcPeer } from '../rpc/peer.js';
import type { Identity } from '../transport/auth.js';

/** Methods a follower answers itself, from Redis, without the leader. Everything else is relayed. */
export const LOCAL_METHODS: ReadonlySet<string> = new Set(['cluster.status']);

/**
 * The calls a gateway answers locally (cluster.status): a single request for one of LOCAL_METHODS
 * runs on a small engine of its own, with the connection's role checked as the leader would.
 * Batches and every other method are relayed (a cluster.status inside a batch is answered by the leader).
 */
export function gatewayCalls(deps: { source: ClusterStatusSource; log: Log }): {
  answer(parsed: unknown, identity: Identity, connId: string): Promise<string | undefined> | undefined;
} {
  const engine = new RpcEngine({ log: deps.log }, { maxBatch: 1, validateResults: false });
  registerClusterApi(engine, { source: deps.source });
  // Local methods make no requests of their own: a peer that sends nothing.
  const peer = new RpcPeer(() => undefined, 1000);
  return {
    answer(parsed, identity, connId) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      const method = (parsed as { method?: unknown }).method;
      if (typeof method !== 'string' || !LOCAL_METHODS.has(method)) return undefined;
      const session = { id: connId, role: identity.role, log: deps.log, remoteAddress: undefined, peer, agentId: undefined };
      return Promise.resolve(engine.handleText(JSON.stringify(parsed), session));
    },
  };
}

/** cluster.status on the leader's core engine, read from `source` (cluster mode's membership). */
export function serveClusterStatus(engine: RpcEngine, source: ClusterStatusSource): void {
  registerClusterApi(engine, { source });
}
