import { z } from 'zod';
import { defineMethod } from './method.js';

export const rpcDiscover = defineMethod({
  name: 'rpc.discover',
  summary: 'The OpenRPC document describing every method (schemas/openrpc.json).',
  roles: ['agent', 'operator', 'admin'],
  params: z.union([z.strictObject({}), z.tuple([])]).optional(),
  result: z.looseObject({ openrpc: z.string(), info: z.looseObject({}), methods: z.array(z.looseObject({})) }),
});
