import type { AgentRecord } from './agent-record.js';
import type { AgentLoad, FleetLoad } from './load-forecaster.js';

/** Whether the agent may be given new work at all (a draining or degraded one only empties). */
export function takesWork(a: AgentRecord): boolean {
  return !a.draining && !a.degraded;
}

/** Slots, busy slots and queue of the agents that may take new work. O(agents). */
export function fleetLoadOf(agents: Iterable<AgentRecord>, queued: number): FleetLoad {
  let capacity = 0;
  let busy = 0;
  for (const a of agents) {
    if (!takesWork(a)) continue;
    capacity += a.capacity;
    busy += Math.min(a.capacity, a.inFlight.size);
  }
  return { capacity, busy, queued };
}

/** One agent as the load forecast sees it. */
export function agentLoadOf(a: AgentRecord): AgentLoad {
  return { inFlight: a.inFlight.size, capacity: a.capacity, eligible: takesWork(a) };
}
