/** Settings of cluster mode (COORDD_STORE=redis://…); config.ts takes its defaults from here. */
export interface ClusterOptions {
  /** This replica's name in Redis, logs and cluster.status. @defaultValue generated at start (and logged) */
  nodeId: string | undefined;
  /** How long the leader's lease in Redis lasts without renewal; it is renewed every third of it. @defaultValue 5000 */
  leaseMs: number;
  /** Prefix of every key; the braces make it a Redis Cluster hash tag, so all keys sit in one slot. @defaultValue '{coordd}:' */
  prefix: string;
  /** A replica silent this long is dead: its agents' attempts wait for reattachment. @defaultValue 5000 */
  nodeTtlMs: number;
  /** How long a gateway holds a call that needs the leader while none is known, before LEADER_UNAVAILABLE. @defaultValue 5000 */
  forwardWaitMs: number;
  /** The URL other replicas and cluster.status name for this one. @defaultValue the listening URL */
  advertiseUrl: string | undefined;
  /** The stream gateways append calls to and the leader reads (after the prefix). @defaultValue 'calls' */
  callStream: string;
  /** Prefix of each gateway's own stream of replies and requests from the leader (after the key prefix). @defaultValue 'to:' */
  gatewayStreamPrefix: string;
}

export const DEFAULT_CLUSTER_OPTIONS: Readonly<ClusterOptions> = Object.freeze({
  nodeId: undefined,
  leaseMs: 5000,
  prefix: '{coordd}:',
  nodeTtlMs: 5000,
  forwardWaitMs: 5000,
  advertiseUrl: undefined,
  callStream: 'calls',
  gatewayStreamPrefix: 'to:',
});
