import type { CoordinationService } from '../coordination/coordination-service.js';
import type { AgentDirectory, RoutableAgent } from '../messaging/routable-agent.js';
import type { AgentRegistry } from '../pool/agent-registry.js';
import type { CandidateSource } from '../routing/candidate-source.js';

/**
 * Message routing's view of the pool: live agents (not draining or degraded). Calls go through
 * the agent's channel, the same path as the pool's task.run; its peer measures how long each
 * waited on the agent and fails with AgentCallError.
 */
export function agentDirectory(agents: AgentRegistry): AgentDirectory {
  return {
    routable: () => {
      const out: RoutableAgent[] = [];
      for (const a of agents.all()) {
        if (a.draining || a.degraded) continue;
        const channel = a.channel;
        out.push({
          agentId: a.agentId,
          capabilities: a.capabilities,
          inFlight: a.inFlight.size,
          capacity: a.capacity,
          call: (method, params, timeoutMs, onWaited) => channel.request(method, params, timeoutMs, onWaited),
        });
      }
      return out;
    },
  };
}

/**
 * Candidates for router.select: registered agents (with their capabilities and in-flight work),
 * plus agents known only from their signals when no capability is required.
 */
export function candidateSource(agents: AgentRegistry, coordination: Pick<CoordinationService, 'knownAgents'>): CandidateSource {
  return {
    candidates: ({ ids, requiredCapabilities }) => {
      const required = requiredCapabilities ?? [];
      const pick = (agentId: string) => {
        const a = agents.get(agentId);
        if (a) return required.every((c) => a.capabilities.has(c)) ? { agentId, inFlight: a.inFlight.size, capacity: a.capacity } : undefined;
        return required.length === 0 ? { agentId, inFlight: 0 } : undefined;
      };
      const universe = ids ?? [...new Set([...[...agents.all()].map((a) => a.agentId), ...coordination.knownAgents()])];
      return universe.map(pick).filter((c) => c !== undefined);
    },
  };
}
