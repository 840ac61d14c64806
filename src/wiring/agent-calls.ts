import type { CoordinationService } from '../coordination/coordination-service.js';
import { AgentCallFailed, type AgentDirectory, type RoutableAgent } from '../messaging/routable-agent.js';
import { AgentCallError } from '../pool/agent-channel.js';
import type { AgentRegistry } from '../pool/agent-registry.js';
import type { CandidateSource } from '../routing/candidate-source.js';
import { PeerError, type Peer } from '../rpc/peer.js';

/** A failed outbound request in the pool's words. */
export function toAgentCallError(err: unknown): AgentCallError {
  if (err instanceof PeerError) {
    if (err.code === 'TIMEOUT') return new AgentCallError('timeout', err.message);
    if (err.code === 'REMOTE_ERROR' || err.code === 'UNSENDABLE') return new AgentCallError('remote', err.message, err.remote);
    return new AgentCallError('disconnected', err.message);
  }
  return new AgentCallError('disconnected', err instanceof Error ? err.message : 'send failed');
}

/** A failed agent call in message routing's words. */
export function toCallFailed(err: unknown): AgentCallFailed {
  const e = err instanceof AgentCallError ? err : toAgentCallError(err);
  if (e.kind === 'timeout') return new AgentCallFailed('timeout', e.message);
  if (e.kind === 'remote') return new AgentCallFailed('error', e.message, e.remote && { code: e.remote.code, message: e.remote.message });
  return new AgentCallFailed('disconnected', e.message);
}

/**
 * Message routing's view of the pool: live agents (not draining or degraded) and their
 * connections. Calls go straight to the connection's peer (`peerOf` its session), which measures
 * how long each waited on the agent.
 */
export function agentDirectory(agents: AgentRegistry, peerOf: (sessionId: string) => Peer | undefined): AgentDirectory {
  return {
    routable: () => {
      const out: RoutableAgent[] = [];
      for (const a of agents.all()) {
        if (a.draining || a.degraded) continue;
        const sessionId = a.sessionId;
        out.push({
          agentId: a.agentId,
          capabilities: a.capabilities,
          inFlight: a.inFlight.size,
          capacity: a.capacity,
          call: (method, params, timeoutMs, onWaited) => {
            const peer = peerOf(sessionId);
            if (peer === undefined) return Promise.reject(new AgentCallFailed('disconnected', 'connection closed'));
            return peer.request(method, params, { timeoutMs, onWaited }).catch((err: unknown) => {
              throw toCallFailed(err);
            });
          },
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
