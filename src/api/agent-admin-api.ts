import type { RpcEngine } from '../rpc/engine.js';
import { agentDrain, agentGet, agentList, agentRemove, agentUpdate } from '../schemas/agent.js';
import type { Operator } from '../wiring/operator.js';

/** agent.list, agent.get, agent.update, agent.drain and agent.remove: the operator's side of the agents. */
export function registerAgentAdminApi(engine: RpcEngine, deps: { operator: Operator }): void {
  const { operator } = deps;

  engine.register(agentList, (params) => {
    const { cursor, limit, ...filter } = params ?? {};
    return operator.views.list(filter, { cursor, limit });
  });

  engine.register(agentGet, (params) => operator.views.detail(params.agentId));

  engine.register(agentUpdate, (params) => {
    const { agentId, ...changes } = params;
    return operator.update(agentId, changes);
  });

  engine.register(agentDrain, (params) => operator.drain(params.agentId));

  engine.register(agentRemove, (params) => operator.remove(params.agentId, params.force ?? false));
}
