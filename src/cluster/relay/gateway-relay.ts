import type { Log } from '../../log.js';
import { systemClock, type Clock, type TimerHandle } from '../../time/clock.js';
import type { Identity } from '../../transport/auth.js';
import type { Transport } from '../../transport/transport.js';
import { CloseCode } from '../../transport/ws-transport.js';
import type { LeaderInfo } from '../relay-ports.js';
import { encodeIdentity } from './relayed-identity.js';
import {
  blockingConnection,
  entryHead,
  firstStreamEntries,
  type BlockingRedis,
  type DuplicableRedis,
  type EntryKind,
  type RelayEntry,
  type RelayKeys,
} from './relay-streams.js';
import { TurnEntries } from './turn-entries.js';
import { failFrame, UnansweredCalls, type RelayFailure } from './unanswered-calls.js';

export type { LeaderInfo };

/** Calls a gateway answers itself (cluster.status), without the leader. */
export interface LocalCalls {
  /** The reply to `parsed` when it is a call answered here; undefined to relay it. */
  answer(parsed: unknown, identity: Identity, connId: string): Promise<string | undefined> | undefined;
}

export interface GatewayRelayOptions {
  /** How long a call waits for a leader while none is known, before LEADER_UNAVAILABLE. @defaultValue 5000 */
  forwardWaitMs: number;
  /** `data.retryAfterMs` of the LEADER_UNAVAILABLE answers. @defaultValue 1000 */
  retryAfterMs: number;
  /** Entries per XREAD of the gateway's stream. @defaultValue 500 */
  readCount: number;
  /** How long one XREAD blocks. @defaultValue 1000 */
  blockMs: number;
}

export const DEFAULT_GATEWAY_RELAY_OPTIONS: Readonly<GatewayRelayOptions> = Object.freeze({
  forwardWaitMs: 5000,
  retryAfterMs: 1000,
  readCount: 500,
  blockMs: 1000,
});

export interface GatewayRelayDeps {
  redis: DuplicableRedis;
  keys: RelayKeys;
  /** This gateway's name on the streams: unique per process start, so its stream starts empty. */
  gatewayId: string;
  log: Log;
  clock?: Clock;
  local?: LocalCalls;
  /** Counts the frames relayed to the leader (coordd_cluster_forwarded_calls_total). */
  onForwarded?: (frames: number) => void;
}

/** One local connection relayed to the leader. */
interface Relayed {
  readonly connId: string;
  readonly transport: Transport;
  readonly identity: Identity;
  /** The term whose leader holds its session; undefined while it waits for a leader. */
  term: number | undefined;
  readonly calls: UnansweredCalls;
  /** It called agent.register (membership counts it as an agent). */
  agent: boolean;
  /** Frames received while no leader was known, each with its forwardWait timer. */
  held: { text: string; parsed: unknown; timer: TimerHandle }[];
}

/** data.reason of LEADER_UNAVAILABLE (exported for clients' tests and docs). */
export const LEADER_CHANGED = 'the leader changed before answering; retry, with an idempotencyKey for pool.assign';
export const NO_LEADER = 'no cluster leader was known within COORDD_CLUSTER_FORWARD_WAIT; the call was not forwarded; retry';

/** A close code a WebSocket may carry (RFC 6455 §7.4), else 1012. */
function sendableCode(code: unknown): number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return CloseCode.SERVICE_RESTART;
  const ok = (code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999);
  return ok ? code : CloseCode.SERVICE_RESTART;
}

/** Whether a client frame calls agent.register (alone or in a batch). */
function registers(parsed: unknown): boolean {
  const one = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { method?: unknown }).method === 'agent.register';
  return Array.isArray(parsed) ? parsed.some(one) : one(parsed);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A follower's end of the relay: every local authenticated connection is relayed frame by frame
 * to the leader through the calls stream (open, msg, close, tagged with the leader's term), and
 * what the leader sends back on this gateway's own stream is written to the socket. When the leader
 * changes, the calls it has not answered get LEADER_UNAVAILABLE and the connections close with
 * 1012: their sessions lived on the old leader. While no leader is known, calls wait up to
 * forwardWaitMs for one.
 */
export class GatewayRelay {
  private readonly options: GatewayRelayOptions;
  private readonly clock: Clock;
  private readonly stream: string;
  private readonly conns = new Map<string, Relayed>();
  private leader: LeaderInfo | undefined;
  /** This turn's entry per term (normally one: the current leader's). */
  private readonly outgoing = new TurnEntries<number>(
    (term) => entryHead(this.deps.gatewayId, term),
    (entries, frames) => this.flush(entries, frames),
  );
  private blocking: BlockingRedis | undefined;
  private running = false;
  private reading: Promise<void> | undefined;
  private lastId = '0-0';
  readonly stats = { forwarded: 0, delivered: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly deps: GatewayRelayDeps,
    options: Partial<GatewayRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_GATEWAY_RELAY_OPTIONS, ...options };
    this.clock = deps.clock ?? systemClock;
    this.stream = deps.keys.gateway(deps.gatewayId);
  }

  /** Open the blocking connection and start reading this gateway's stream. */
  async start(): Promise<void> {
    this.running = true;
    // Kept before it connects, so close() can end a connect still retrying (Redis down).
    this.blocking = blockingConnection(this.deps.redis, (err) => this.deps.log.debug({ err: err.message }, 'gateway stream connection error'));
    await this.blocking.connect();
    if (this.running) this.reading = this.readLoop();
  }

  /** Stop reading; calls still held get LEADER_UNAVAILABLE. The HTTP server closes the sockets. */
  async close(): Promise<void> {
    this.running = false;
    for (const rel of this.conns.values()) this.expireHeld(rel, rel.held.length);
    this.outgoing.flush();
    try {
      this.blocking?.destroy();
    } catch {
      // Never connected: nothing to close.
    }
    await this.reading;
  }

  /** The leader this gateway relays to, if one is known. */
  get currentLeader(): LeaderInfo | undefined {
    return this.leader;
  }

  /** Relayed connections open now. */
  get connections(): number {
    return this.conns.size;
  }

  /** Frames held while no leader is known. */
  get waiting(): number {
    let n = 0;
    for (const rel of this.conns.values()) n += rel.held.length;
    return n;
  }

  /** Relayed connections that registered an agent (sent agent.register). */
  agents(): number {
    let n = 0;
    for (const rel of this.conns.values()) if (rel.agent) n++;
    return n;
  }

  /** Relay one authenticated local connection to the leader (held until one is known). */
  open(transport: Transport, identity: Identity): void {
    const rel: Relayed = { connId: transport.id, transport, identity, term: undefined, calls: new UnansweredCalls(), agent: false, held: [] };
    this.conns.set(rel.connId, rel);
    transport.onmessage = (text) => this.fromClient(rel, text);
    transport.onclose = (code, reason) => this.clientClosed(rel, code, reason);
    if (this.leader) this.bind(rel, this.leader.term);
  }

  /**
   * The leader changed (a new term) or is gone: the calls forwarded to the old one and not answered
   * get LEADER_UNAVAILABLE and its connections close with 1012; connections waiting for a leader
   * are relayed to the new one.
   */
  leaderChanged(next: LeaderInfo | undefined): void {
    const previous = this.leader;
    this.leader = next;
    if (next && previous && next.term === previous.term) return;
    const failure: RelayFailure = { reason: LEADER_CHANGED, retryAfterMs: this.options.retryAfterMs };
    let closed = 0;
    for (const rel of [...this.conns.values()]) {
      if (rel.term === undefined) {
        if (next) this.bind(rel, next.term);
        continue;
      }
      const frames = rel.calls.fail(failure);
      this.stats.failed += frames.length;
      for (const frame of frames) rel.transport.send(frame);
      this.conns.delete(rel.connId);
      rel.transport.close(CloseCode.SERVICE_RESTART, 'the cluster leader changed; reconnect');
      closed++;
    }
    if (closed > 0) this.deps.log.info({ closed, term: next?.term, leaderId: next?.nodeId }, 'leader changed: relayed connections closed');
  }

  // ---- client → leader ---------------------------------------------------------------------------

  private fromClient(rel: Relayed, text: string): void {
    const parsed = parse(text);
    if (!rel.agent && registers(parsed)) rel.agent = true;
    const local = this.deps.local?.answer(parsed, rel.identity, rel.connId);
    if (local !== undefined) {
      local.then(
        (reply) => {
          if (reply !== undefined && this.conns.get(rel.connId) === rel) rel.transport.send(reply);
        },
        (err: unknown) => this.deps.log.error({ err }, 'a call answered locally failed'),
      );
      return;
    }
    if (rel.term === undefined) {
      const held = { text, parsed, timer: this.clock.setTimeout(() => this.expireHeld(rel, 1), this.options.forwardWaitMs) };
      rel.held.push(held);
      return;
    }
    rel.calls.sent(parsed);
    this.forward(rel.term, 'msg', rel.connId, text);
  }

  private clientClosed(rel: Relayed, code: number, reason: string): void {
    if (this.conns.get(rel.connId) !== rel) return;
    this.conns.delete(rel.connId);
    for (const h of rel.held) this.clock.clearTimeout(h.timer);
    rel.held = [];
    if (rel.term !== undefined) this.forward(rel.term, 'close', rel.connId, JSON.stringify({ code, reason }));
  }

  /** Relay `rel` to the leader of `term`: its open, then what it sent while it waited. */
  private bind(rel: Relayed, term: number): void {
    rel.term = term;
    this.forward(term, 'open', rel.connId, undefined, encodeIdentity(rel.identity));
    for (const h of rel.held) {
      this.clock.clearTimeout(h.timer);
      rel.calls.sent(h.parsed);
      this.forward(term, 'msg', rel.connId, h.text);
    }
    rel.held = [];
  }

  /** The oldest `n` held frames waited forwardWaitMs for a leader: their calls get LEADER_UNAVAILABLE. */
  private expireHeld(rel: Relayed, n: number): void {
    const failure: RelayFailure = { reason: NO_LEADER, retryAfterMs: this.options.retryAfterMs };
    for (const h of rel.held.splice(0, n)) {
      this.clock.clearTimeout(h.timer);
      const frame = failFrame(h.parsed, failure);
      if (frame === undefined) continue;
      this.stats.failed++;
      rel.transport.send(frame);
    }
  }

  private forward(term: number, k: EntryKind, connId: string, d?: string, i?: string): void {
    this.outgoing.push(term, k, connId, d, i);
  }

  /** The turn's frames, in order, in one entry per term (one XADD, pipelined when a leader change splits them). */
  private flush(entries: Map<number, string[]>, frames: number): void {
    const { redis, keys } = this.deps;
    const writes = [...entries.values()].map((fields) => redis.sendCommand(['XADD', keys.calls, '*', ...fields]));
    this.stats.forwarded += frames;
    this.deps.onForwarded?.(frames);
    Promise.all(writes).catch((err: unknown) => this.deps.log.warn({ err: (err as Error)?.message }, 'relaying calls to the leader failed'));
  }

  // ---- leader → client ---------------------------------------------------------------------------

  private async readLoop(): Promise<void> {
    const { readCount, blockMs } = this.options;
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.blocking!.sendCommand(['XREAD', 'COUNT', String(readCount), 'BLOCK', String(blockMs), 'STREAMS', this.stream, this.lastId]);
      } catch (err) {
        if (!this.running) return;
        this.deps.log.warn({ err: (err as Error).message }, 'reading the gateway stream failed; retrying');
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 100));
        continue;
      }
      const entries = firstStreamEntries(reply);
      if (entries.length > 0) this.lastId = entries[entries.length - 1]!.id;
      for (const e of entries) this.toClient(e);
    }
  }

  private toClient(e: RelayEntry): void {
    for (const f of e.frames) {
      const rel = this.conns.get(f.c);
      // Closed here already, or of another term than its session (an old leader's late frame).
      if (!rel || rel.term !== e.t) {
        this.stats.dropped++;
        continue;
      }
      if (f.k === 'msg') {
        const text = f.d ?? '';
        if (rel.calls.size > 0) rel.calls.answered(parse(text));
        this.stats.delivered++;
        rel.transport.send(text);
      } else if (f.k === 'close') {
        const { code, reason } = (parse(f.d ?? '') ?? {}) as { code?: unknown; reason?: unknown };
        this.conns.delete(rel.connId);
        rel.transport.close(sendableCode(code), typeof reason === 'string' ? reason.slice(0, 120) : '');
      }
    }
  }
}
