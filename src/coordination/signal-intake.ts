import { AppError, AppErrors } from '../errors.js';
import type { Log } from '../log.js';
import { SIGNAL_TYPES, SignalType } from '../schemas/common.js';
import { SignalInput } from '../schemas/coordination.js';
import type { Role } from '../schemas/method.js';
import type { CoordinationService, RecordResult } from './coordination-service.js';

/** The connection a signal comes from, as the intake checks it. */
export interface SignalSender {
  readonly role: Role;
  /** The agent the connection registered as, if any. */
  readonly agentId: string | undefined;
  readonly log: Log;
}

/** Told of every accepted and refused signal (coordd_signals_total). */
export interface SignalIntakeObserver {
  accepted(typeIndex: number, n: number): void;
  /** By its type when it had a valid one. */
  rejected(signalType: SignalType | undefined): void;
}

export interface SignalIntakeDeps {
  coordination: Pick<CoordinationService, 'record' | 'recordRejected'>;
  observer: SignalIntakeObserver;
  /** The paths of an entry's schema issues, as INVALID_PARAMS reports them. */
  issuePaths: (issues: SignalInputIssues) => string[];
}

type SignalInputIssues = Extract<ReturnType<typeof SignalInput.safeParse>, { success: false }>['error']['issues'];

const INVALID_PARAMS_CODE = -32602;
const FORBIDDEN_CODE = AppErrors.FORBIDDEN.code;
const SPEAK_FOR_SELF = 'Forbidden: an agent connection may only send signals about the agent it registered as';

/**
 * coordination.signal behind the edge: who may report about which agent, a batch entry by
 * entry (each accepted or refused on its own), and the counts of both.
 */
export class SignalIntake {
  /** Admin connections registered as one agent and reporting about another, already logged. */
  private readonly noticed = new WeakMap<SignalSender, Set<string>>();

  constructor(private readonly deps: SignalIntakeDeps) {}

  /** One signal; FORBIDDEN when the sender may not speak for its agent. */
  one(signal: SignalInput, sender: SignalSender): RecordResult {
    const refusal = refusalFor(sender, signal.agentId);
    if (refusal !== undefined) {
      this.reject(signal.signalType);
      throw new AppError('FORBIDDEN', refusal, { agentId: signal.agentId });
    }
    this.noteAdminActingFor(sender, signal.agentId);
    const result = this.deps.coordination.record(signal);
    this.deps.observer.accepted(SIGNAL_TYPES.indexOf(signal.signalType), 1);
    return result;
  }

  /** A batch: each entry checked and stored on its own; the batch's traceId fills entries without one. */
  batch(signals: readonly unknown[], traceId: string | undefined, sender: SignalSender) {
    const signalIds: string[] = [];
    const rejected: { index: number; code: number; message: string; paths: string[] }[] = [];
    const acceptedByType = new Array<number>(SIGNAL_TYPES.length).fill(0);
    signals.forEach((entry, index) => {
      const parsed = SignalInput.safeParse(entry);
      if (!parsed.success) {
        this.reject(typeOf(entry));
        rejected.push({ index, code: INVALID_PARAMS_CODE, message: 'Invalid params', paths: this.deps.issuePaths(parsed.error.issues) });
        return;
      }
      const signal = parsed.data;
      if (refusalFor(sender, signal.agentId) !== undefined) {
        rejected.push({ index, code: FORBIDDEN_CODE, message: SPEAK_FOR_SELF, paths: ['agentId'] });
        this.reject(signal.signalType);
        return;
      }
      this.noteAdminActingFor(sender, signal.agentId);
      signalIds.push(this.deps.coordination.record(signal.traceId || !traceId ? signal : { ...signal, traceId }).signalId);
      acceptedByType[SIGNAL_TYPES.indexOf(signal.signalType)]!++;
    });
    acceptedByType.forEach((n, i) => n > 0 && this.deps.observer.accepted(i, n));
    return { accepted: signalIds.length, signalIds, rejected };
  }

  /** Params that failed their schema before reaching the intake: a refusal per entry they had. */
  invalid(raw: unknown): void {
    const entries =
      typeof raw === 'object' && raw !== null && Array.isArray((raw as { signals?: unknown }).signals) ? (raw as { signals: unknown[] }).signals : [raw];
    for (const entry of entries) this.reject(typeOf(entry));
  }

  /** A refused signal counts in coordination.metrics and in coordd_signals_total alike, by its type if it has a valid one. */
  private reject(signalType: unknown): void {
    const type = SignalType.safeParse(signalType);
    this.deps.coordination.recordRejected(type.success ? type.data : undefined);
    this.deps.observer.rejected(type.success ? type.data : undefined);
  }

  /** Admin keeps its powers; an admin registered as one agent and reporting about another is logged, once per connection and agent. */
  private noteAdminActingFor(sender: SignalSender, agentId: string): void {
    if (sender.role !== 'admin' || sender.agentId === undefined || sender.agentId === agentId) return;
    let seen = this.noticed.get(sender);
    if (!seen) this.noticed.set(sender, (seen = new Set()));
    if (seen.has(agentId) || seen.size >= 100) return;
    seen.add(agentId);
    sender.log.info({ agentId: sender.agentId, about: agentId }, 'admin connection registered as one agent sent signals about another');
  }
}

/**
 * Whether the connection may report signals about `agentId`, or why not. An agent connection
 * speaks only for the agent it registered as, and not at all before it has registered.
 * Operators and admins feed signals about any agent (external monitors, load reporters).
 */
function refusalFor(sender: SignalSender, agentId: string): string | undefined {
  if (sender.role !== 'agent') return undefined;
  const own = sender.agentId;
  if (own === undefined) return 'an agent connection must call agent.register first, and may then send signals only about itself';
  return own === agentId ? undefined : `an agent connection may only send signals about the agent it registered as (${own})`;
}

const typeOf = (entry: unknown): unknown => (typeof entry === 'object' && entry !== null ? (entry as { signalType?: unknown }).signalType : undefined);
