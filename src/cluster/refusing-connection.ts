import type { Transport } from '../transport/transport.js';

/**
 * Serve a connection that can do nothing but refuse: every request (alone or in a batch) is
 * answered with `error`, notifications get nothing, unparsable text gets -32700 (id null).
 */
export function refuseEveryCall(transport: Transport, error: { code: number; message: string; data?: unknown }): void {
  const answer = (req: unknown): object | undefined => {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } };
    const { id } = req as { id?: unknown };
    return id === undefined ? undefined : { jsonrpc: '2.0', id, error };
  };
  transport.onmessage = (text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      transport.send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    if (Array.isArray(parsed)) {
      const out = parsed.map(answer).filter((r) => r !== undefined);
      if (out.length > 0) transport.send(JSON.stringify(out));
      return;
    }
    const out = answer(parsed);
    if (out) transport.send(JSON.stringify(out));
  };
}
