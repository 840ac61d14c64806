import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { AgentChannel } from '../pool/agent-channel.js';
import { claimedAgentId } from '../pool/claimed-agent-id.js';
import type { PoolService } from '../pool/pool-service.js';
import type { Session } from '../rpc/session.js';
import type { agentRegister } from '../schemas/agent.js';
import type { ParamsOf, ResultOf } from '../schemas/method.js';
import type { Spawner } from '../spawn/spawner.js';

export interface AgentSessionsDeps {
  pool: PoolService;
  spawner: Spawner;
  /** Fresh ids for a prefix-scoped token that registers without naming one. */
  ids: IdGenerator;
  channelFor: (session: Session) => AgentChannel;
}

/** The spawn a join token was issued for, if this connection used one. */
export const spawnIdOf = (session: Session): string | undefined =>
  session.principal?.startsWith('spawn:') ? session.principal.slice('spawn:'.length) : undefined;

/**
 * A connection joining the pool as an agent (agent.register): one agent per connection, the id
 * checked against the token's scope, a spawned worker matched to its process, and the attempts
 * it still runs after a daemon restart reattached.
 */
export class AgentSessions {
  constructor(private readonly deps: AgentSessionsDeps) {}

  register(session: Session, params: ParamsOf<typeof agentRegister>): ResultOf<typeof agentRegister> {
    const { pool, spawner } = this.deps;
    if (session.agentId !== undefined && params.agentId !== undefined && params.agentId !== session.agentId) {
      throw new AppError('ALREADY_REGISTERED', `this connection is agent ${session.agentId}`, { agentId: session.agentId });
    }
    const spawnId = spawnIdOf(session);
    const { running = [], ...registration } = params;
    const { agent, reattached, dropped } = pool.registerWithRunning(
      {
        ...registration,
        agentId: claimedAgentId(session.scope, params.agentId ?? session.agentId, this.deps.ids),
        channel: this.deps.channelFor(session),
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
  }
}
