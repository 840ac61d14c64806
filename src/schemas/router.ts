import { z } from 'zod';
import { defineMethod } from './method.js';
import { AgentId, Unit } from './common.js';
import { StrategyName } from './common.js';

export const routerSelect = defineMethod({
  name: 'router.select',
  summary: 'Ask the AgentRouter which agent it would choose.',
  roles: ['operator', 'admin'],
  params: z.strictObject({
    candidates: z.array(AgentId).max(100_000).optional().describe('Default: every known agent'),
    requiredCapabilities: z.array(z.string().min(1)).max(64).optional(),
    strategy: StrategyName.optional().describe('Default COORDD_ROUTER_STRATEGY'),
  }),
  result: z.object({
    agentId: AgentId,
    strategy: StrategyName.describe('The strategy that actually chose (RANDOM on fallback)'),
    score: Unit.optional(),
    fallback: z.boolean(),
    fallbackReason: z.enum(['rep_disabled', 'no_live_signals', 'strategy_error']).optional(),
  }),
});
