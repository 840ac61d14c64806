import type { Logger } from 'pino';
import type { AlertSubscribers } from './alert-subscribers.js';
import { uuid } from '../ids.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentChannel } from '../pool/agent-channel.js';
import type { PoolService } from '../pool/pool-service.js';
import type { LeaseManager } from '../resources/lease-manager.js';
import type { RpcEngine } from '../rpc/engine.js';
import { FrameTiming } from '../rpc/frame-timing.js';
import { RpcPeer } from '../rpc/peer.js';
import type { Session } from '../rpc/session.js';
import type { Clock } from '../time/clock.js';
import type { Identity } from '../transport/auth.js';
import type { Outbox, Outboxes } from '../transport/outbox.js';
import type { Transport } from '../transport/transport.js';
import { CloseCode } from '../transport/ws-transport.js';
import type { Operator } from './operator.js';
import type { TurnOutbox } from './turn-outbox.js';

/** A connection's session as the daemon holds it: the engine's Session plus its peer, transport and outbox. */
export type ServerSession = Session & { peer: RpcPeer; transport: Transport; outbox: Outbox };

export interface ConnectionsDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  engine: RpcEngine;
  outboxes: Outboxes;
  /** Commit before anyone is told (a durable store only; undefined in memory). */
  turns: TurnOutbox | undefined;
  pool: PoolService;
  leases: LeaseManager;
  operator: Operator;
  alertSubscribers: AlertSubscribers;
}

/**
 * Connections and their sessions: a session per WebSocket, its frames through the engine and its
 * replies, requests and notifications out through its outbox; at close, everything the
 * connection held ends (subscriptions, pending requests, leases, its agent).
 */
export class Connections {
  /** Frame timing's time source (one function, not a closure per frame). */
  private readonly elapsed: () => number;
  private readonly sessions = new Set<ServerSession>();

  constructor(
    private readonly deps: ConnectionsDeps,
    private readonly options: { requestTimeoutMs: number },
  ) {
    this.elapsed = () => deps.clock.elapsed();
  }

  /** The pool's narrow view of a connection: task.run and other requests, notifications, close. */
  static channelFor(session: ServerSession): AgentChannel {
    return {
      runTask: (params, timeoutMs) => session.peer.request('task.run', params, { timeoutMs }),
      request: (method, params, timeoutMs, onWaited) => session.peer.request(method, params, { timeoutMs, onWaited }),
      notify: (method, params) => session.peer.notify(method, params),
      close: (reason) => session.outbox.close(reason.startsWith('taken over') ? CloseCode.TAKEN_OVER : CloseCode.REMOVED, reason),
    };
  }

  /**
   * How a connection's messages reach its outbox: at once in memory; with a durable store, through
   * the turn outbox, which commits the turn first (and turns replies into STORE_UNAVAILABLE when
   * the commit fails, which the connection outbox cannot: it does not know replies from requests).
   */
  private sender(outbox: Outbox, replies: boolean): (text: string) => void {
    const turns = this.deps.turns;
    const direct = (text: string): void => outbox.send(text);
    return turns ? (text) => turns.send(direct, text, replies) : direct;
  }

  /** A connection (an accepted WebSocket, or any other Transport) was opened for `identity`. */
  open(transport: Transport, identity: Identity): void {
    const { engine, outboxes, metrics } = this.deps;
    const { role, principal, credential, scope } = identity;
    const log = this.deps.logger.child({ connectionId: transport.id });
    const outbox = outboxes.open(transport);
    const session: ServerSession = {
      id: transport.id,
      role,
      log,
      remoteAddress: transport.remoteAddress,
      peer: new RpcPeer(this.sender(outbox, false), this.options.requestTimeoutMs, undefined, this.deps.clock, (err, method) => {
        const errorId = uuid();
        log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, errorId, method }, 'outbound message could not be serialised');
        return errorId;
      }),
      agentId: undefined,
      principal,
      credential,
      scope,
      transport,
      outbox,
    };
    this.sessions.add(session);
    metrics.wsConnections.inc();
    log.info({ role, credential, remoteAddress: transport.remoteAddress }, 'connection open');
    const send = this.sender(outbox, true);
    const reply = (text: string | undefined): void => {
      if (text !== undefined) send(text);
    };
    transport.onmessage = (text) => {
      // Timed from before parsing to after the reply is handed to the outbox (router.route's overhead).
      const frame = new FrameTiming(this.elapsed);
      let out: ReturnType<RpcEngine['handleText']>;
      try {
        out = engine.handleText(text, session, frame);
      } catch (err) {
        // The engine answers every failure per request; this is a bug's last stop, kept to this
        // connection so no frame can reach the process's fatal handler.
        const errorId = uuid();
        log.error({ err, errorId }, 'unexpected failure handling a frame');
        out = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error', data: { errorId } } });
      }
      if (typeof out === 'object') {
        out.then(reply, (err: unknown) => log.error({ err }, 'unexpected engine failure')).finally(() => frame.replied());
      } else {
        reply(out);
        frame.replied();
      }
    };
    transport.onclose = (code, why) => this.closed(session, code, why);
  }

  /** Close every open connection with `code`, after the frames already queued for it. */
  closeAll(code: number, reason: string): void {
    for (const session of this.sessions) session.outbox.close(code, reason);
  }

  private closed(session: ServerSession, code: number, why: string): void {
    const { pool, leases, operator, alertSubscribers, metrics } = this.deps;
    this.sessions.delete(session);
    session.outbox.discard();
    alertSubscribers.remove(session.id);
    operator.connectionClosed(session.id);
    session.peer.close();
    // Before the pool hears of it, so these leases end as 'disconnected' rather than 'removed'.
    leases.releaseSession(session.id, 'disconnected');
    if (session.agentId !== undefined) {
      // A relayed connection whose replica died: the agent reconnects elsewhere and reattaches its attempts.
      if (code === CloseCode.REPLICA_LOST) pool.disconnectedAwaitingReattach(session.agentId, session.id);
      else pool.disconnected(session.agentId, session.id);
    }
    metrics.wsConnections.dec();
    session.log.info({ code, reason: why || undefined, closedBy: session.transport.closeReason ?? 'client' }, 'connection closed');
  }
}
