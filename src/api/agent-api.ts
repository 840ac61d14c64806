import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { PoolService } from '../pool/pool-service.js';
import { deriveState } from '../pool/agent-record.js';
import type { AgentChannel } from '../pool/agent-channel.js';
import type { RequestContext, RpcEngine } from '../rpc/engine.js';
import type { Session } from '../rpc/session.js';
import { agentHeartbeat, agentRegister } from '../schemas/agent.js';
import { inScope, type AgentScope } from '../schemas/agent-scope.js';
import { taskProgress, taskReport } from '../schemas/task.js';
import type { Spawner } from '../spawn/spawner.js';

export interface AgentApiDeps {
  pool: PoolService;
  spawner: Spawner;
  /** Fresh ids for a prefix-scoped token that registers without naming one. */
  ids: IdGenerator;
  channelFor: (session: Session) => AgentChannel;
}

/** The spawn a join token was issued for, if this connection used one. */
export const spawnIdOf = (session: Session): string | undefined =>
  session.principal?.startsWith('spawn:') ? session.principal.slice('spawn:'.length) : undefined;

/** The agent id this connection registered as; NOT_REGISTERED otherwise. */
export function registeredAgent(ctx: RequestContext): string {
  const agentId = ctx.session.agentId;
  if (agentId === undefined) throw new AppError('NOT_REGISTERED', `call agent.register before ${ctx.method}`);
  return agentId;
}

/** A scope as an error shows it (a long list cut to its first ids). */
const scopeData = (scope: AgentScope): Record<string, unknown> => ({ ...scope, ...(scope.agentIds && { agentIds: scope.agentIds.slice(0, 20) }) });

/**
 * The id a registration claims, checked against the token's scope. A prefix-scoped token that
 * names no id gets a fresh one inside its prefix; a token scoped to a list must name one.
 */
function claimedId(session: Session, agentId: string | undefined, ids: IdGenerator): string | undefined {
  const scope = session.scope;
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

/** agent.register, agent.heartbeat, task.progress and task.report: the agent's side of the pool. */
export function registerAgentApi(engine: RpcEngine, deps: AgentApiDeps): void {
  const { pool, spawner } = deps;

  engine.register(agentRegister, (params, ctx) => {
    const session = ctx.session;
    if (session.agentId !== undefined && params.agentId !== undefined && params.agentId !== session.agentId) {
      throw new AppError('ALREADY_REGISTERED', `this connection is agent ${session.agentId}`, { agentId: session.agentId });
    }
    const spawnId = spawnIdOf(session);
    const { running = [], ...registration } = params;
    const { agent, reattached, dropped } = pool.registerWithRunning(
      {
        ...registration,
        agentId: claimedId(session, params.agentId ?? session.agentId, deps.ids),
        channel: deps.channelFor(session),
        sessionId: session.id,
        pid: spawnId ? spawner.bySpawnId(spawnId)?.proc.pid : undefined,
        credential: session.credential,
        override: session.role === 'admin',
      },
      running,
    );
    session.agentId = agent.agentId;
    if (spawnId) spawner.registered(spawnId, agent.agentId);
    return {
      agentId: agent.agentId,
      contextWindowId: agent.contextWindowId,
      heartbeatIntervalMs: pool.options.heartbeatIntervalMs,
      leaseTtlMs: pool.options.leaseTtlMs,
      ...(params.running !== undefined && { reattached, dropped }),
    };
  });

  engine.register(agentHeartbeat, (params, ctx) => {
    const agent = pool.heartbeat(registeredAgent(ctx), params);
    return { agentId: agent.agentId, state: deriveState(agent) };
  });

  engine.register(taskProgress, (params, ctx) => ({ accepted: pool.progress(registeredAgent(ctx), params) }));

  engine.register(taskReport, (params, ctx) => ({ accepted: pool.report(registeredAgent(ctx), params) }));
}
