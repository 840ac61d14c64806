import type { RpcEngine } from '../rpc/engine.js';
import { mayCall } from '../schemas/method.js';
import { sessionInfo } from '../schemas/session.js';

/** session.info: who this connection is and what it may call, from the methods actually served. */
export function registerSessionApi(engine: RpcEngine): void {
  engine.register(sessionInfo, (_params, ctx) => {
    const { session } = ctx;
    const methods = engine
      .definitions()
      .filter((d) => mayCall(d, session.role))
      .map((d) => d.name)
      .sort();
    return session.agentId === undefined
      ? { connectionId: session.id, role: session.role, methods }
      : { connectionId: session.id, role: session.role, agentId: session.agentId, methods };
  });
}
