/** A JSON-RPC id as the specification allows it. */
export type RpcId = string | number | null;

export interface RequestEnvelope {
  kind: 'request';
  id: RpcId;
  method: string;
  params: unknown;
}
export interface NotificationEnvelope {
  kind: 'notification';
  method: string;
  params: unknown;
}
export interface ResponseEnvelope {
  kind: 'response';
  id: RpcId;
  message: Record<string, unknown>;
}
export interface InvalidEnvelope {
  kind: 'invalid';
  /** The id when it could be read, else null (as §5 requires). */
  id: RpcId;
  reason: string;
}
export type Envelope = RequestEnvelope | NotificationEnvelope | ResponseEnvelope | InvalidEnvelope;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isId(v: unknown): v is RpcId {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Classify one parsed JSON value (a whole message, or one batch element) as §4–§5 define it.
 * Responses are messages without `method` that carry `result` or `error`: replies to the
 * daemon's own outbound requests.
 */
export function classify(value: unknown): Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', id: null, reason: 'a request must be a JSON object' };
  }
  const msg = value as Record<string, unknown>;
  const hasId = hasOwn(msg, 'id');
  const id = hasId && isId(msg.id) ? msg.id : null;
  if (msg.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: 'jsonrpc must be exactly "2.0"' };
  if (!hasOwn(msg, 'method') && (hasOwn(msg, 'result') || hasOwn(msg, 'error')) && hasId && isId(msg.id)) {
    return { kind: 'response', id: msg.id, message: msg };
  }
  if (typeof msg.method !== 'string') return { kind: 'invalid', id, reason: 'method must be a string' };
  if (hasId && !isId(msg.id)) return { kind: 'invalid', id: null, reason: 'id must be a string, a number or null' };
  const params = msg.params;
  if (hasOwn(msg, 'params') && (typeof params !== 'object' || params === null)) {
    return { kind: 'invalid', id, reason: 'params must be an object or an array' };
  }
  if (!hasId) return { kind: 'notification', method: msg.method, params };
  return { kind: 'request', id: msg.id as RpcId, method: msg.method, params };
}
