import { AppErrors } from '../../errors.js';

type RpcId = string | number | null;

/** The error a gateway answers a call with when no leader will: LEADER_UNAVAILABLE with why (a sentence, as the leader's own) and when to retry. */
export interface RelayFailure {
  reason: string;
  retryAfterMs: number;
}

const idKey = (id: RpcId): string => `${typeof id}:${String(id)}`;

/** Whether a parsed value is a request that expects a reply (a method and an id). */
function requestId(value: unknown): { id: RpcId } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as { method?: unknown; id?: unknown };
  if (typeof v.method !== 'string' || !('id' in v)) return undefined;
  return typeof v.id === 'string' || typeof v.id === 'number' || v.id === null ? { id: v.id } : undefined;
}

/** One LEADER_UNAVAILABLE response per id. */
function errorReply(id: RpcId, failure: RelayFailure): object {
  const { code, message } = AppErrors.LEADER_UNAVAILABLE;
  return { jsonrpc: '2.0', id, error: { code, message, data: { reason: failure.reason, retryAfterMs: failure.retryAfterMs } } };
}

/**
 * The LEADER_UNAVAILABLE frames that answer every request of a client frame (one response, or one
 * batch of them); none for notifications and for frames that are not JSON-RPC requests.
 */
export function failFrame(parsed: unknown, failure: RelayFailure): string | undefined {
  if (Array.isArray(parsed)) {
    const replies = parsed.flatMap((item) => {
      const r = requestId(item);
      return r ? [errorReply(r.id, failure)] : [];
    });
    return replies.length > 0 ? JSON.stringify(replies) : undefined;
  }
  const r = requestId(parsed);
  return r ? JSON.stringify(errorReply(r.id, failure)) : undefined;
}

/**
 * The requests one relayed connection forwarded to the leader and has no reply for yet, so that
 * a leader change can answer each of them (a batch with one batch) instead of leaving it hanging.
 */
export class UnansweredCalls {
  /** Request id → the batch it came in (0: a single request). */
  private readonly calls = new Map<string, { id: RpcId; batch: number }>();
  private batches = 0;

  get size(): number {
    return this.calls.size;
  }

  /** A client frame went to the leader: track its requests. */
  sent(parsed: unknown): void {
    if (Array.isArray(parsed)) {
      const batch = ++this.batches;
      for (const item of parsed) {
        const r = requestId(item);
        if (r) this.calls.set(idKey(r.id), { id: r.id, batch });
      }
      return;
    }
    const r = requestId(parsed);
    if (r) this.calls.set(idKey(r.id), { id: r.id, batch: 0 });
  }

  /** A frame from the leader: forget the requests its responses answer. */
  answered(parsed: unknown): void {
    if (Array.isArray(parsed)) {
      for (const item of parsed) this.answeredOne(item);
    } else {
      this.answeredOne(parsed);
    }
  }

  /** The frames that answer everything still unanswered with `failure` (then nothing is). */
  fail(failure: RelayFailure): string[] {
    const frames: string[] = [];
    const batches = new Map<number, object[]>();
    for (const { id, batch } of this.calls.values()) {
      if (batch === 0) {
        frames.push(JSON.stringify(errorReply(id, failure)));
        continue;
      }
      let list = batches.get(batch);
      if (!list) batches.set(batch, (list = []));
      list.push(errorReply(id, failure));
    }
    for (const list of batches.values()) frames.push(JSON.stringify(list));
    this.calls.clear();
    return frames;
  }

  private answeredOne(value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    const v = value as { method?: unknown; id?: unknown };
    if (v.method !== undefined || !('id' in v)) return;
    if (typeof v.id === 'string' || typeof v.id === 'number' || v.id === null) this.calls.delete(idKey(v.id));
  }
}
