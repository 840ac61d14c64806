import { z } from 'zod';

/** How deep and how large one client value (a payload, a result, a message…) may be. */
export interface ValueLimits {
  /** Nesting depth: a scalar is 0, `[]` and `{}` are 1, `[[1]]` is 2. @defaultValue 64 */
  maxDepth: number;
  /** Size of the value written as JSON, in UTF-8 bytes (estimated: string escapes are not counted). @defaultValue 1 MiB */
  maxBytes: number;
}

export const DEFAULT_VALUE_LIMITS: Readonly<ValueLimits> = Object.freeze({ maxDepth: 64, maxBytes: 1024 * 1024 });

/** Where a value broke a limit: the JSON path inside it (keys and indexes), which limit, and its value. */
export interface ValueViolation {
  path: (string | number)[];
  limit: 'maxDepth' | 'maxBytes';
  max: number;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

/**
 * Walk a value without recursion (so a value nested a million deep costs a loop, not the stack)
 * and return its estimated JSON size in bytes, or the first limit it breaks. The walk stops as
 * soon as a limit is broken, so measuring a huge value against a small limit is cheap.
 */
export function measureValue(value: unknown, limits: ValueLimits = DEFAULT_VALUE_LIMITS): { bytes: number } | { violation: ValueViolation } {
  let bytes = 0;
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') bytes += Buffer.byteLength(v, 'utf8') + 2;
    else if (typeof v === 'number') bytes += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (v === null || v === undefined) bytes += 4;
    else if (typeof v === 'object') {
      const depth = frame.depth + 1;
      if (depth > limits.maxDepth) return { violation: { path: pathOf(frame), limit: 'maxDepth', max: limits.maxDepth } };
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
      } else {
        const keys = Object.keys(v);
        bytes += 2 + Math.max(0, keys.length - 1);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          bytes += Buffer.byteLength(k, 'utf8') + 3;
          stack.push({ value: (v as Record<string, unknown>)[k], depth, parent: frame, key: k });
        }
      }
    } else bytes += 4; // bigint, function, symbol: not JSON; counted as null
    if (bytes > limits.maxBytes) return { violation: { path: pathOf(frame), limit: 'maxBytes', max: limits.maxBytes } };
  }
  return { bytes };
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** What a violation says to a client, in the words of a param issue. */
export function violationMessage(v: ValueViolation): string {
  return v.limit === 'maxDepth' ? `nested deeper than ${v.max} levels (COORDD_MAX_DEPTH)` : `larger than ${v.max} bytes as JSON (COORDD_MAX_VALUE_BYTES)`;
}

/**
 * The limits every stored client value is checked against. Set once at start-up from the
 * configuration (Daemon's constructor); the schemas below read it when they parse. One process
 * runs one daemon, so one setting serves all.
 */
let current: ValueLimits = { ...DEFAULT_VALUE_LIMITS };

export function setValueLimits(limits: ValueLimits): void {
  current = { ...limits };
}

export function valueLimits(): Readonly<ValueLimits> {
  return current;
}

/**
 * Any JSON value the daemon stores or relays on a client's behalf (a task's payload, a
 * conversation message…), bounded in depth and size. Over a limit the params fail with -32602:
 * the issue's path points at the offending spot and `limit`/`max` say which limit and its value.
 * Every stored-value field of every schema is this one type, so there is one check, not one per method.
 */
export function boundedJson(): z.ZodType<unknown> {
  return z.unknown().superRefine((value, ctx) => {
    if (value === undefined || value === null || typeof value !== 'object') {
      if (typeof value !== 'string' || value.length * 3 + 2 <= current.maxBytes) return;
    }
    const measured = measureValue(value, current);
    if ('violation' in measured) {
      const v = measured.violation;
      ctx.addIssue({ code: 'custom', path: v.path, message: violationMessage(v), params: { limit: v.limit, max: v.max } });
    }
  });
}
