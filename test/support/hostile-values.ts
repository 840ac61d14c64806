import fc from 'fast-check';

/** Keys that trip naive code: prototype members, the protocol's own `_meta`, empty and odd text. */
export const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '_meta', '', ' ', '\u0000', 'é✓'];

/** `[[…[leaf]…]]` nested `depth` deep, built without recursion. */
export function nest(depth: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

/** An object with exactly these own keys (including `__proto__` as an own key, as JSON.parse makes it). */
export const objectOf = (entries: [string, unknown][]): Record<string, unknown> => Object.fromEntries(entries);

/** Arbitrary JSON values a careless or hostile client sends: deep, wide, huge strings, odd keys, odd numbers. */
export function hostileValue(): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 8 }));
  const small = fc.jsonValue({ maxDepth: 3 });
  return fc.oneof(
    small,
    fc.integer({ min: 60, max: 3000 }).map((d) => nest(d)),
    fc.integer({ min: 1000, max: 100_000 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 100, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
    fc.array(fc.tuple(key, small), { maxLength: 6 }).map(objectOf),
    fc.constantFrom(-0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.1, -1, 2 ** 31),
  );
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: JsonSchema | boolean;
};

/**
 * Values shaped by a method's params schema (its JSON Schema, from zod): mostly valid, so calls
 * reach the handlers, with any field now and then replaced by a hostile value.
 */
export function fromSchema(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const inner = (): fc.Arbitrary<unknown> => {
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((s) => fromSchema(s, depth + 1)));
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'object': {
        const props = Object.entries(schema.properties ?? {});
        if (props.length === 0 || depth > 4) return fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
        const required = new Set(schema.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, s] of props) record[k] = fromSchema(s, depth + 1);
        return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
      }
      case 'array':
        return fc.array(schema.items ? fromSchema(schema.items, depth + 1) : fc.jsonValue({ maxDepth: 2 }), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 5, 5),
        });
      case 'string':
        return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 16, 16) });
      case 'integer':
        return fc.integer({ min: Math.ceil(schema.minimum ?? schema.exclusiveMinimum ?? -1000), max: Math.floor(schema.maximum ?? 100_000) });
      case 'number':
        return fc.double({ min: schema.minimum ?? schema.exclusiveMinimum ?? -1000, max: schema.maximum ?? 100_000, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return fc.jsonValue({ maxDepth: 3 });
    }
  };
  if (depth === 0) return inner();
  return fc.oneof({ weight: 6, arbitrary: inner() }, { weight: 1, arbitrary: hostileValue() });
}
