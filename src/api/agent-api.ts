import { AppError } from '../errors.js';
import type { PoolService } from '../pool/pool-service.js';
import { deriveState } from '../pool/agent-record.js';
import type { RequestContext, RpcEngine } from '../rpc/engine.js';
import { agentHeartbeat, agentRegister } from '../schemas/agent.js';
import { taskProgress, taskReport } from '../schemas/task.js';
import type { AgentSessions } from '../wiring/agent-sessions.js';

export interface AgentApiDeps {
  pool: PoolService;
  /** agent.register's checks and bookkeeping. */
  sessions: Pick<AgentSessions, 'register'>;
}

/** The agent id this connection registered as; NOT_REGISTERED otherwise. */
export function registeredAgent(ctx: RequestContext): string {
  const agentId = ctx.session.agentId;
  if (agentId === undefined) throw new AppError('NOT_REGISTERED', `call agent.register before ${ctx.method}`);
  return agentId;
}

/** agent.register, agent.heartbeat, task.progress and task.report: the agent's side of the pool. */
export function registerAgentApi(engine: RpcEngine, deps: AgentApiDeps): void {
  const { pool, sessions } = deps;

  engine.register(agentRegister, (params, ctx) => sessions.register(ctx.session, params));

  engine.register(agentHeartbeat, (params, ctx) => {
    const agent = pool.heartbeat(registeredAgent(ctx), params);
    return { agentId: agent.agentId, state: deriveState(agent) };
  });

  engine.register(taskProgress, (params, ctx) => ({ accepted: pool.progress(registeredAgent(ctx), params) }));

  engine.register(taskReport, (params, ctx) => ({ accepted: pool.report(registeredAgent(ctx), params) }));
}
