import { DEFAULT_STRATEGY, type StrategyName } from '../schemas/common.js';
import type { IntentRule } from '../schemas/intent-rule.js';
import type { ConversationStore } from '../conversations/conversation-store.js';
import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { silentLog, type Log } from '../log.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import type { AgentRouter } from '../routing/agent-router.js';
import type { ObservedOutcome, ScoreSource } from '../routing/strategy.js';
import type { ParamsOf, ResultOf } from '../schemas/method.js';
import type { routerRoute } from '../schemas/conversation.js';
import { IntentMatcher } from './intent-rules.js';
import { AgentCallError, type AgentCallFailure } from '../agent-call-error.js';
import type { AgentDirectory, RoutableAgent, RouteTimer } from './routable-agent.js';
import { askSupervisor, pickSupervisor, type SupervisorFallback } from './supervisor.js';

export type RouteRequest = ParamsOf<typeof routerRoute>;

export type RouteResult = ResultOf<typeof routerRoute>;
type Attempt = RouteResult['attempts'][number];
/** A delivery's outcome as the router learns it (the same vocabulary as the pool's attempts). */
const OBSERVED: Record<Attempt['outcome'], ObservedOutcome> = { ok: 'completed', error: 'failed', timeout: 'timeout', disconnected: 'lost' };
/** A failed call as router.route's attempts report it on the wire. */
const ATTEMPT_OUTCOME: Record<AgentCallFailure, Exclude<Attempt['outcome'], 'ok'>> = { remote: 'error', timeout: 'timeout', disconnected: 'disconnected' };
type DecidedBy = RouteResult['decidedBy'];

export interface MessageRoutingObserver {
  decided?(by: DecidedBy): void;
  supervisorFallback?(reason: SupervisorFallback): void;
  /** One message.deliver attempt ended; seconds of the agent's time. */
  attempt?(outcome: Attempt['outcome'], seconds: number): void;
  /**
   * A message was answered or given up on. overheadSeconds is the daemon's own time: with a
   * RouteTimer, everything from the request frame's arrival to its reply handed to the socket;
   * without one, route() itself; either way minus the time spent waiting for agents' answers.
   */
  routed?(outcome: 'delivered' | 'failed', overheadSeconds: number, agentSeconds: number): void;
}

export interface MessageRoutingDeps {
  ids: IdGenerator;
  router: AgentRouter;
  scores: ScoreSource;
  agents: AgentDirectory;
  conversations: ConversationStore;
  breakers: CircuitBreakers;
  /** High-resolution milliseconds: attempt durations, and agent time when a call cannot tell its own. */
  elapsedMs: () => number;
  log?: Log;
  observer?: MessageRoutingObserver;
}

export interface MessageRoutingOptions {
  /** @defaultValue [] */
  intentRules: readonly IntentRule[];
  /** @defaultValue 'supervisor' */
  supervisorCapability: string;
  /** @defaultValue 250 */
  supervisorTimeoutMs: number;
  /** Agents tried per message. @defaultValue 3 */
  maxAttempts: number;
  /** @defaultValue 30000 */
  deliverTimeoutMs: number;
  /** Longest per-attempt timeoutMs a request may ask for. @defaultValue 300000 */
  maxDeliverTimeoutMs: number;
  /** Strategy when the request names none. @defaultValue 'RIPPLE_COORDINATION' */
  defaultStrategy: StrategyName;
}

export const DEFAULT_MESSAGE_ROUTING_OPTIONS: Readonly<MessageRoutingOptions> = {
  intentRules: [],
  supervisorCapability: 'supervisor',
  supervisorTimeoutMs: 250,
  maxAttempts: 3,
  deliverTimeoutMs: 30_000,
  maxDeliverTimeoutMs: 300_000,
  defaultStrategy: DEFAULT_STRATEGY,
};

/** Most ids an error lists; the count says how many there were. */
const MAX_LISTED = 32;

const hasAll = (a: RoutableAgent, required: readonly string[]): boolean => required.every((c) => a.capabilities.has(c));

/**
 * router.route: picks the agent for a message (a live supervisor's route.decide answer, else the
 * intent rules, else the router strategy), delivers it with the conversation's recent history,
 * and falls back to the next best agent on timeout, error or disconnect. Per-agent circuit
 * breakers keep failing agents out; every attempt is reported.
 */
export class MessageRoutingService {
  private readonly options: Readonly<MessageRoutingOptions>;
  private readonly intents: IntentMatcher;
  private readonly log: Log;
  private readonly observer: MessageRoutingObserver;
  /** Messages out to each agent, added to its task count when the router compares load. */
  private readonly messagesInFlight = new Map<string, number>();
  private supervisorTurn = 0;

  constructor(
    private readonly deps: MessageRoutingDeps,
    options: Partial<MessageRoutingOptions> = {},
  ) {
    this.options = { ...DEFAULT_MESSAGE_ROUTING_OPTIONS, ...options };
    this.intents = new IntentMatcher(this.options.intentRules);
    this.log = deps.log ?? silentLog;
    this.observer = deps.observer ?? {};
  }

  /** Route one message; `timer` (the request's frame) measures the daemon's own time around route() too. */
  async route(req: RouteRequest, timer?: RouteTimer): Promise<RouteResult> {
    const { deps, options } = this;
    const started = deps.elapsedMs();
    const conversationId = req.conversationId ?? deps.ids();
    const required = req.requiredCapabilities ?? [];
    const wantsSupervisor = required.includes(options.supervisorCapability);
    const targetsNow = (): RoutableAgent[] =>
      deps.agents.routable().filter((a) => hasAll(a, required) && (wantsSupervisor || !a.capabilities.has(options.supervisorCapability)));
    const targets = targetsNow();
    if (targets.length === 0) {
      throw new AppError('NO_CANDIDATES', required.length ? 'no live agent has every required capability' : 'no live agents to route to', {
        requiredCapabilities: required,
      });
    }
    if (!targets.some((a) => deps.breakers.available(a.agentId))) {
      const open = targets.map((a) => a.agentId);
      throw new AppError('NO_CANDIDATES', "every matching agent's circuit breaker is open", {
        openCircuits: open.slice(0, MAX_LISTED),
        openCircuitCount: open.length,
      });
    }

    const decision = await this.decide(
      req,
      conversationId,
      targets,
      wantsSupervisor,
      () => targetsNow().filter((a) => deps.breakers.available(a.agentId)),
      timer,
    );
    let agentMs = decision.agentMs;
    const { pool, decidedBy, capability } = decision;
    this.observer.decided?.(decidedBy);

    const history = deps.conversations.history(conversationId);
    const attempts: Attempt[] = [];
    const tried = new Set<string>();
    const timeoutMs = Math.min(req.timeoutMs ?? options.deliverTimeoutMs, options.maxDeliverTimeoutMs);
    for (let agent: RoutableAgent | undefined = decision.first; agent !== undefined && attempts.length < options.maxAttempts;) {
      tried.add(agent.agentId);
      const ticket = deps.breakers.attempt(agent.agentId);
      // Its breaker closed the door since it was chosen (another call took the half-open trial): next.
      if (ticket !== undefined) {
        const sent = deps.elapsedMs();
        let waited: number | undefined;
        const result = await this.deliver(
          agent,
          ticket,
          { conversationId, message: req.message, history, attempt: attempts.length + 1 },
          timeoutMs,
          (ms) => (waited = ms),
        );
        const tookMs = deps.elapsedMs() - sent;
        const agentTook = waited ?? tookMs;
        agentMs += agentTook;
        timer?.waited(agentTook);
        attempts.push({
          agentId: agent.agentId,
          outcome: result.outcome,
          durationMs: Math.round(tookMs * 1000) / 1000,
          ...(result.error && { error: result.error }),
        });
        this.observer.attempt?.(result.outcome, agentTook / 1000);
        // The router learns from deliveries as the pool's attempts teach it, so a fleet that only
        // answers messages is routed on what the daemon observed too, not on signals alone.
        deps.router.observe({ agentId: agent.agentId, latencyMs: tookMs, outcome: OBSERVED[result.outcome], at: deps.scores.now() });
        if (result.outcome === 'ok') {
          deps.conversations.append(conversationId, { role: 'user', agentId: agent.agentId, message: req.message });
          deps.conversations.append(conversationId, { role: 'agent', agentId: agent.agentId, message: result.response });
          this.reportRouted('delivered', started, agentMs, timer);
          return { conversationId, agentId: agent.agentId, response: result.response, attempts, decidedBy, ...(capability !== undefined && { capability }) };
        }
      }
      agent = this.nextAgent(pool, required, tried, req.strategy, wantsSupervisor);
    }
    deps.conversations.append(conversationId, { role: 'user', message: req.message });
    this.reportRouted('failed', started, agentMs, timer);
    this.log.warn({ conversationId, attempts }, 'message not answered by any agent');
    throw new AppError('ROUTE_FAILED', `${attempts.length} agent(s) tried, none answered`, { conversationId, attempts });
  }

  /**
   * The first agent, and the pool fallbacks come from: a live supervisor's choice, else the
   * intent rules' capability, else everyone eligible; the router strategy picks within the pool.
   * `eligibleNow` is read again after waiting for the supervisor: agents may have left meanwhile.
   */
  private async decide(
    req: RouteRequest,
    conversationId: string,
    targets: readonly RoutableAgent[],
    wantsSupervisor: boolean,
    eligibleNow: () => RoutableAgent[],
    timer: RouteTimer | undefined,
  ): Promise<{ first: RoutableAgent; pool: readonly RoutableAgent[]; decidedBy: DecidedBy; capability?: string; agentMs: number }> {
    const { deps, options } = this;
    let agentMs = 0;
    let eligible = targets.filter((a) => deps.breakers.available(a.agentId));
    const supervisors = wantsSupervisor
      ? []
      : deps.agents.routable().filter((a) => a.capabilities.has(options.supervisorCapability) && deps.breakers.available(a.agentId));
    const supervisor = pickSupervisor(supervisors, this.supervisorTurn++);
    const ticket = supervisor && deps.breakers.attempt(supervisor.agentId);
    if (supervisor !== undefined && ticket !== undefined) {
      const asked = deps.elapsedMs();
      const now = deps.scores.now();
      const candidates = eligible.map((a) => ({
        agentId: a.agentId,
        capabilities: [...a.capabilities],
        routingScore: deps.scores.routingScore(a.agentId, now),
      }));
      let waited: number | undefined;
      const answer = await askSupervisor(
        supervisor,
        { message: req.message, conversationId, intent: req.intent, candidates },
        options.supervisorTimeoutMs,
        (ms) => (waited = ms),
      );
      const supervisorMs = waited ?? deps.elapsedMs() - asked;
      agentMs += supervisorMs;
      timer?.waited(supervisorMs);
      if (!answer.ok && answer.failure !== undefined) deps.breakers.failure(supervisor.agentId, ticket);
      else deps.breakers.success(supervisor.agentId, ticket);
      eligible = eligibleNow();
      const chosen = answer.ok ? eligible.find((a) => a.agentId === answer.agentId) : undefined;
      if (chosen !== undefined) return { first: chosen, pool: eligible, decidedBy: 'supervisor', agentMs };
      const fallback = answer.ok ? 'unavailable' : answer.fallback;
      const detail = answer.ok ? `${answer.agentId} left or its breaker opened while the supervisor decided` : answer.detail;
      this.observer.supervisorFallback?.(fallback);
      this.log.warn({ supervisor: supervisor.agentId, conversationId, fallback, detail }, 'supervisor decision not used; intent rules decide');
      if (eligible.length === 0) throw new AppError('NO_CANDIDATES', 'every matching agent left or was shut out while the supervisor decided');
    }
    const match = this.intents.match(req.intent, req.message);
    const narrowed = match === undefined ? [] : eligible.filter((a) => a.capabilities.has(match.capability));
    if (narrowed.length > 0)
      return { first: this.select(narrowed, req.strategy), pool: narrowed, decidedBy: 'intent_rule', capability: match!.capability, agentMs };
    if (match !== undefined) this.log.debug({ capability: match.capability, rule: match.rule }, 'intent rule matched but no eligible agent has its capability');
    return { first: this.select(eligible, req.strategy), pool: eligible, decidedBy: 'strategy', agentMs };
  }

  private async deliver(
    agent: RoutableAgent,
    ticket: number,
    params: { conversationId: string; message: unknown; history: unknown[]; attempt: number },
    timeoutMs: number,
    onWaited: (ms: number) => void,
  ): Promise<
    { outcome: 'ok'; response: unknown; error?: undefined } | { outcome: Exclude<Attempt['outcome'], 'ok'>; error?: { code: number; message: string } }
  > {
    const { breakers } = this.deps;
    this.messagesInFlight.set(agent.agentId, (this.messagesInFlight.get(agent.agentId) ?? 0) + 1);
    try {
      const response = await agent.call('message.deliver', params, timeoutMs, onWaited);
      breakers.success(agent.agentId, ticket);
      return { outcome: 'ok', response };
    } catch (err) {
      breakers.failure(agent.agentId, ticket);
      const failure = err instanceof AgentCallError ? err : new AgentCallError('disconnected', 'call failed');
      const outcome = ATTEMPT_OUTCOME[failure.kind];
      this.log.info(
        { agentId: agent.agentId, conversationId: params.conversationId, outcome, detail: failure.message },
        'message delivery failed; trying the next agent',
      );
      return { outcome, error: failure.remote && { code: failure.remote.code, message: failure.remote.message } };
    } finally {
      const n = (this.messagesInFlight.get(agent.agentId) ?? 1) - 1;
      if (n > 0) this.messagesInFlight.set(agent.agentId, n);
      else this.messagesInFlight.delete(agent.agentId);
    }
  }

  /** The daemon's own time on a routed message: once its reply is out when a timer measures the request, else route() alone. */
  private reportRouted(outcome: 'delivered' | 'failed', started: number, agentMs: number, timer: RouteTimer | undefined): void {
    const { observer } = this;
    if (observer.routed === undefined) return;
    if (timer !== undefined) timer.whenReplied((ownMs) => observer.routed!(outcome, ownMs / 1000, agentMs / 1000));
    else observer.routed(outcome, Math.max(0, this.deps.elapsedMs() - started - agentMs) / 1000, agentMs / 1000);
  }

  /**
   * The next best agent after a failure: among the first choice's pool (the rule's capability),
   * else any agent with the required capabilities; live now, breaker closed, not yet tried.
   */
  private nextAgent(
    pool: readonly RoutableAgent[],
    required: readonly string[],
    tried: ReadonlySet<string>,
    strategy: StrategyName | undefined,
    supervisorsToo: boolean,
  ): RoutableAgent | undefined {
    const live = new Map(this.deps.agents.routable().map((a) => [a.agentId, a]));
    const usable = (a: RoutableAgent) =>
      !tried.has(a.agentId) && this.deps.breakers.available(a.agentId) && (supervisorsToo || !a.capabilities.has(this.options.supervisorCapability));
    let next = pool.map((a) => live.get(a.agentId)).filter((a): a is RoutableAgent => a !== undefined && usable(a));
    if (next.length === 0) next = [...live.values()].filter((a) => usable(a) && hasAll(a, required));
    return next.length === 0 ? undefined : this.select(next, strategy);
  }

  private select(agents: readonly RoutableAgent[], strategy: StrategyName | undefined): RoutableAgent {
    const candidates = agents.map((a) => ({ agentId: a.agentId, inFlight: a.inFlight + (this.messagesInFlight.get(a.agentId) ?? 0), capacity: a.capacity }));
    const pick = this.deps.router.select(candidates, strategy ?? this.options.defaultStrategy);
    return agents.find((a) => a.agentId === pick.agentId)!;
  }
}
