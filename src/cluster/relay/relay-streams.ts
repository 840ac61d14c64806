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
}

/** What a gateway appends to the calls stream: a connection opened, a frame from its client, a close. */
export type EntryKind = 'open' | 'msg' | 'close';

/** One decoded stream entry: `{k, g, c, t, i?, d?}` (kind, gateway, connection, term, identity JSON, frame). */
export interface RelayEntry {
  readonly id: string;
  readonly k: string;
  readonly g: string;
  readonly c: string;
  readonly t: number;
  readonly i: string | undefined;
  readonly d: string | undefined;
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

/** The XADD arguments of one entry (fields in a fixed order; empty ones left out). */
export function entryFields(k: EntryKind, g: string, c: string, t: number, d?: string, i?: string): string[] {
  const out = ['k', k, 'g', g, 'c', c, 't', String(t)];
  if (i !== undefined) out.push('i', i);
  if (d !== undefined) out.push('d', d);
  return out;
}

/** The entries of one stream in an XREAD / XREADGROUP / XAUTOCLAIM reply's `[[id, [f, v, …]], …]` (deleted ones, null, skipped). */
export function decodeEntries(raw: unknown): RelayEntry[] {
  const out: RelayEntry[] = [];
  if (!Array.isArray(raw)) return out;
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || item.length < 2 || !Array.isArray(item[1])) continue;
    const fields = item[1] as unknown[];
    let k = '';
    let g = '';
    let c = '';
    let t = -1;
    let i: string | undefined;
    let d: string | undefined;
    for (let n = 0; n + 1 < fields.length; n += 2) {
      const value = String(fields[n + 1]);
      switch (String(fields[n])) {
        case 'k':
          k = value;
          break;
        case 'g':
          g = value;
          break;
        case 'c':
          c = value;
          break;
        case 't':
          t = Number(value);
          break;
        case 'i':
          i = value;
          break;
        case 'd':
          d = value;
          break;
      }
    }
    out.push({ id: String(item[0]), k, g, c, t, i, d });
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
