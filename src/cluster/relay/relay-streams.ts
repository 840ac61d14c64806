import type { ClusterOptions } from '../cluster-options.js';

/**
 * The narrow part of a node-redis client the relay uses: raw commands (replies read as arrays,
 * no per-entry transformation), and a connection of its own for the blocking stream reads.
 */
export interface RelayRedis {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A client that can open a second connection (blocking XREAD/XREADGROUP must not hold the shared one). */
export interface DuplicableRedis extends RelayRedis {
  duplicate(): BlockingRedis;
}

export interface BlockingRedis extends RelayRedis {
  connect(): Promise<unknown>;
  destroy(): void;
  /** A duplicate does not inherit its parent's listeners: without one, a dropped socket is an uncaught exception. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** A connection of its own for blocking reads, its errors logged once per outage (it reconnects by itself). */
export function blockingConnection(redis: DuplicableRedis, onError: (err: Error) => void): BlockingRedis {
  const blocking = redis.duplicate();
  blocking.on('error', onError);
  return blocking;
}

/** What a gateway appends to the calls stream: a connection opened, a frame from its client, a close. */
export type EntryKind = 'open' | 'msg' | 'close';

/** One relayed event: `{k, c, i?, d?}` (kind, connection, identity JSON on open, frame text or close JSON). */
export interface RelayFrame {
  readonly k: string;
  readonly c: string;
  readonly i: string | undefined;
  readonly d: string | undefined;
}

/**
 * One decoded stream entry: its gateway `g` and term `t`, and its frames. A turn's frames for one
 * stream travel in one entry (`t, g, k, c, [i], [d], k, c, …`: each `k` starts a frame), so a
 * relayed call costs one XADD per side and turn rather than per frame; a one-frame entry is
 * exactly `{k, g, c, t, i?, d?}`.
 */
export interface RelayEntry {
  readonly id: string;
  readonly g: string;
  readonly t: number;
  readonly frames: RelayFrame[];
}

/** The keys of the relay, under the cluster prefix. */
export interface RelayKeys {
  /** Gateways append, the leader reads through its group. */
  calls: string;
  /** The consumer group of the calls stream. */
  group: string;
  /** The stream the leader writes to one gateway. */
  gateway(gatewayId: string): string;
}

export function relayKeys(options: Pick<ClusterOptions, 'prefix' | 'callStream' | 'gatewayStreamPrefix'>): RelayKeys {
  const { prefix, callStream, gatewayStreamPrefix } = options;
  return { calls: prefix + callStream, group: 'leader', gateway: (gatewayId) => prefix + gatewayStreamPrefix + gatewayId };
}

/** The head of an entry's XADD arguments: its gateway and term. */
export const entryHead = (g: string, t: number): string[] => ['t', String(t), 'g', g];

/** Append one frame's fields to an entry's XADD arguments. */
export function pushFrame(out: string[], k: EntryKind, c: string, d?: string, i?: string): string[] {
  out.push('k', k, 'c', c);
  if (i !== undefined) out.push('i', i);
  if (d !== undefined) out.push('d', d);
  return out;
}

/** The XADD arguments of a one-frame entry. */
export const entryFields = (k: EntryKind, g: string, c: string, t: number, d?: string, i?: string): string[] => pushFrame(entryHead(g, t), k, c, d, i);

/** The entries of one stream in an XREAD / XREADGROUP / XAUTOCLAIM reply's `[[id, [f, v, …]], …]` (deleted ones, null, skipped). */
export function decodeEntries(raw: unknown): RelayEntry[] {
  const out: RelayEntry[] = [];
  if (!Array.isArray(raw)) return out;
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || item.length < 2 || !Array.isArray(item[1])) continue;
    const fields = item[1] as unknown[];
    let g = '';
    let t = -1;
    const frames: { k: string; c: string; i: string | undefined; d: string | undefined }[] = [];
    let frame: (typeof frames)[number] | undefined;
    for (let n = 0; n + 1 < fields.length; n += 2) {
      const value = String(fields[n + 1]);
      const name = String(fields[n]);
      if (name === 'k') frames.push((frame = { k: value, c: '', i: undefined, d: undefined }));
      else if (name === 't') t = Number(value);
      else if (name === 'g') g = value;
      else if (frame && name === 'c') frame.c = value;
      else if (frame && name === 'd') frame.d = value;
      else if (frame && name === 'i') frame.i = value;
    }
    out.push({ id: String(item[0]), g, t, frames });
  }
  return out;
}

/** The entries of the first stream in an XREAD / XREADGROUP reply (`[[name, entries]]`, or null on timeout). */
export function firstStreamEntries(reply: unknown): RelayEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const stream = reply[0] as unknown;
  return Array.isArray(stream) ? decodeEntries(stream[1]) : [];
}

/** The milliseconds part of a stream id. */
export const idTime = (id: string): number => Number(id.slice(0, id.indexOf('-')));

/** Order of two stream ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}
