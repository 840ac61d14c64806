import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { inScope, type AgentScope } from '../schemas/agent-scope.js';

/** A scope as an error shows it (a long list cut to its first ids). */
const scopeData = (scope: AgentScope): Record<string, unknown> => ({ ...scope, ...(scope.agentIds && { agentIds: scope.agentIds.slice(0, 20) }) });

/**
 * The id a registration claims, checked against its token's scope (FORBIDDEN outside it). A
 * prefix-scoped token that names no id gets a fresh one inside its prefix; a token scoped to a
 * list must name one; an unscoped token may name any id or none (the registry assigns one).
 */
export function claimedAgentId(scope: AgentScope | undefined, agentId: string | undefined, ids: IdGenerator): string | undefined {
  if (scope === undefined) return agentId;
  if (agentId === undefined) {
    if (scope.agentIdPrefix !== undefined) return `${scope.agentIdPrefix}${ids()}`;
    throw new AppError('FORBIDDEN', 'this token is scoped to agent ids: agent.register must name its agentId', scopeData(scope));
  }
  if (!inScope(scope, agentId)) {
    throw new AppError('FORBIDDEN', `agent id ${agentId} is outside this token's scope`, { agentId, ...scopeData(scope) });
  }
  return agentId;
}
