import { z } from 'zod';
import { defineMethod, ROLES } from './method.js';
import { AgentId } from './common.js';

export const sessionInfo = defineMethod({
  name: 'session.info',
  summary: "This connection's role and the methods it may call (a dashboard shows only the actions it can use).",
  roles: ROLES,
  params: z.union([z.strictObject({}), z.tuple([])]).optional(),
  result: z.object({
    connectionId: z.string(),
    role: z.enum(ROLES),
    agentId: AgentId.optional().describe('Set once the connection registered as an agent'),
    methods: z.array(z.string()).describe('Every method this connection may call, sorted'),
  }),
});
