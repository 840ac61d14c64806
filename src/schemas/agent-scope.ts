import { z } from 'zod';
import { AgentId } from './common.js';

/**
 * Which agent ids a token may register as: ids in `agentIds`, or starting with `agentIdPrefix`
 * (either matches when both are given). A token without a scope may claim any id no other
 * credential holds.
 */
export interface AgentScope {
  readonly agentIds?: readonly string[];
  readonly agentIdPrefix?: string;
}

/** Room left after the prefix for the UUID the daemon appends when no id is named (AgentId allows 256). */
const MAX_PREFIX = 200;

/** The scope fields of a tokens-file entry. */
export const AgentScopeFields = {
  agentIds: z.array(AgentId).min(1, 'agentIds must list at least one id (leave it out for no list)').max(10_000).optional(),
  agentIdPrefix: z.string().min(1, 'agentIdPrefix must not be empty (leave it out for no prefix)').max(MAX_PREFIX).optional(),
};

/** Whether the scope lets its token register as `agentId`. */
export function inScope(scope: AgentScope, agentId: string): boolean {
  if (scope.agentIds?.includes(agentId)) return true;
  return scope.agentIdPrefix !== undefined && agentId.startsWith(scope.agentIdPrefix);
}
