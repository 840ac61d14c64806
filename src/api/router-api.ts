import { AppError } from '../errors.js';
import type { RpcEngine } from '../rpc/engine.js';
import { routerSelect } from '../schemas/router.js';
import type { CandidateSource } from '../routing/candidate-source.js';
import type { AgentRouter } from '../routing/agent-router.js';

/** router.select: the AgentRouter's decision, exposed for clients and benchmarks. */
export function registerRouterApi(engine: RpcEngine, deps: { router: AgentRouter; candidates: CandidateSource }): void {
  engine.register(routerSelect, (params) => {
    const candidates = deps.candidates.candidates({ ids: params.candidates, requiredCapabilities: params.requiredCapabilities });
    if (candidates.length === 0) {
      throw new AppError('NO_CANDIDATES', params.requiredCapabilities?.length ? 'no known agent has every required capability' : 'no agents are known', {
        requiredCapabilities: params.requiredCapabilities ?? [],
      });
    }
    return deps.router.select(candidates, params.strategy);
  });
}
