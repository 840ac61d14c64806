/**
 * RPC methods whose handling time is mostly waiting on something outside the daemon, so it is
 * not the daemon's coordination time: waiting for a task to finish, for agents to answer a
 * delivery, for a lease holder to release, for worker processes to start or stop. Counting
 * them would make the overhead ratio measure the fleet's latency instead of the daemon's cost.
 * router.route's own share is reported separately by the router (Daemon.alertInputs.coordinationTime).
 */
export const WAITING_METHODS: ReadonlySet<string> = new Set(['task.wait', 'router.route', 'resource.acquire', 'pool.spawn', 'pool.despawn', 'pool.shutdown']);

/** Method prefixes that wait as well: pool.scaling.execute spawns and drains workers. */
export const WAITING_PREFIXES: readonly string[] = ['pool.scaling.'];

/** Whether an RPC call's handling time counts as the daemon's coordination time. */
export function countsAsCoordination(method: string): boolean {
  return !WAITING_METHODS.has(method) && !WAITING_PREFIXES.some((p) => method.startsWith(p));
}
