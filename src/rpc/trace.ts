const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * The trace id a caller supplied: `params.traceId`, else the trace-id part of a W3C
 * `params._meta.traceparent`. Undefined when neither is usable.
 */
export function traceIdFrom(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const p = params as { traceId?: unknown; _meta?: { traceparent?: unknown } };
  if (typeof p.traceId === 'string' && p.traceId.length > 0 && p.traceId.length <= 128) return p.traceId;
  const tp = typeof p._meta === 'object' && p._meta !== null ? p._meta.traceparent : undefined;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m) return m[1];
  }
  return undefined;
}
