import { z } from 'zod';
import { ErrorCatalogue } from '../errors.js';
import type { MethodDefinition } from '../schemas/method.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  z.toJSONSchema(schema, { target: 'draft-07', io, unrepresentable: 'any' }) as JsonSchema;

/** The object branches of a params schema (one for a plain object, several for a union). */
function objectBranches(schema: JsonSchema): JsonSchema[] {
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return union.flatMap(objectBranches);
  return schema.type === 'object' ? [schema] : [];
}

/**
 * OpenRPC 1.x content descriptors for by-name params. A union of shapes lists every field
 * (required only when every shape requires it) and keeps the exact schema in `x-params-schema`.
 */
function paramDescriptors(def: MethodDefinition): { params: JsonSchema[]; exact: JsonSchema } {
  const exact = toSchema(def.params, 'input');
  const branches = objectBranches(exact);
  const fields = new Map<string, { schema: JsonSchema; requiredIn: number }>();
  for (const b of branches) {
    const props = (b.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((b.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(props)) {
      const f = fields.get(name) ?? { schema, requiredIn: 0 };
      if (required.has(name)) f.requiredIn++;
      fields.set(name, f);
    }
  }
  const params = [...fields].map(([name, f]) => ({
    name,
    required: branches.length > 0 && f.requiredIn === branches.length,
    schema: f.schema,
  }));
  return { params, exact };
}

/** Build the OpenRPC document for the given methods (what rpc.discover returns). */
export function buildOpenRpc(methods: readonly MethodDefinition[], info: { title: string; version: string }): JsonSchema {
  return {
    openrpc: '1.3.2',
    info: { ...info, description: 'coordd: JSON-RPC 2.0 over WebSocket at /rpc. Generated from the zod schemas; do not edit.' },
    methods: methods.map((def) => {
      const { params, exact } = paramDescriptors(def);
      return {
        name: def.name,
        summary: def.summary,
        paramStructure: 'by-name',
        params,
        result: { name: 'result', schema: toSchema(def.result, 'output') },
        'x-roles': def.roles,
        'x-params-schema': exact,
      };
    }),
    components: {
      errors: Object.fromEntries(Object.entries(ErrorCatalogue).map(([name, e]) => [name, { code: e.code, message: e.message }])),
    },
  };
}
