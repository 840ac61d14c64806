import { expect } from 'chai';
import { ConversationStore } from '../../../src/conversations/conversation-store.js';
import { AppError } from '../../../src/errors.js';
import { sequentialIds } from '../../../src/ids.js';
import { MessageRoutingService, type MessageRoutingOptions } from '../../../src/messaging/message-routing-service.js';
import { AgentCallError } from '../../../src/agent-call-error.js';
import type { MessagingMethod, RoutableAgent } from '../../../src/messaging/routable-agent.js';
import { seededRandom } from '../../../src/random.js';
import { CircuitBreakers } from '../../../src/routing/circuit-breaker.js';
import { FrameTiming } from '../../../src/rpc/frame-timing.js';
import { AgentRouter } from '../../../src/routing/agent-router.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { FakeScores } from '../routing/fakes.js';

type Behaviour = (method: MessagingMethod, params: any) => unknown;

class FakeAgent implements RoutableAgent {
  readonly calls: { method: MessagingMethod; params: any; timeoutMs: number }[] = [];
  readonly capabilities: ReadonlySet<string>;
  inFlight = 0;
  capacity = 4;
  constructor(
    readonly agentId: string,
    capabilities: string[],
    public behaviour: Behaviour = (_m, p) => ({ echo: p.message, by: agentId }),
  ) {
    this.capabilities = new Set(capabilities);
  }
  /** Virtual time each call takes on the agent's side, reported as waited (as RpcPeer does). */
  takes?: { clock: VirtualClock; ms: number };
  async call(method: MessagingMethod, params: object, timeoutMs: number, onWaited?: (ms: number) => void): Promise<unknown> {
    this.calls.push({ method, params, timeoutMs });
    if (this.takes) {
      this.takes.clock.advance(this.takes.ms);
      onWaited?.(this.takes.ms);
    }
    return this.behaviour(method, params);
  }
}

const fails =
  (outcome: 'timeout' | 'error' | 'disconnected'): Behaviour =>
  () => {
    throw new AgentCallError(outcome === 'error' ? 'remote' : outcome, `agent ${outcome}`, outcome === 'error' ? { code: -32000, message: 'boom' } : undefined);
  };

describe('MessageRoutingService (router.route)', () => {
  let clock: VirtualClock;
  let agents: FakeAgent[];
  let breakers: CircuitBreakers;
  let conversations: ConversationStore;
  let events: string[];
  let routed: { overheadMs: number; agentMs: number }[];
  let attemptSeconds: number[];

  function service(options: Partial<MessageRoutingOptions> = {}, scores = new FakeScores()): MessageRoutingService {
    const router = new AgentRouter({ random: seededRandom(1), scores }, { defaultStrategy: 'LEAST_LOADED' });
    return new MessageRoutingService(
      {
        ids: sequentialIds('conv'),
        router,
        scores,
        agents: { routable: () => agents },
        conversations,
        breakers,
        elapsedMs: () => clock.now(),
        observer: {
          decided: (by) => events.push(`decided:${by}`),
          supervisorFallback: (r) => events.push(`fallback:${r}`),
          attempt: (o, seconds) => {
            events.push(`attempt:${o}`);
            attemptSeconds.push(seconds);
          },
          routed: (o, overhead, agent) => {
            events.push(`routed:${o}`);
            routed.push({ overheadMs: overhead * 1000, agentMs: agent * 1000 });
          },
        },
      },
      { defaultStrategy: 'LEAST_LOADED', ...options },
    );
  }

  beforeEach(() => {
    clock = new VirtualClock(1_000_000);
    breakers = new CircuitBreakers({ clock }, { failureThreshold: 2, cooldownMs: 5_000 });
    conversations = new ConversationStore({ clock });
    events = [];
    routed = [];
    attemptSeconds = [];
  });

  it('asks the supervisor and delivers to the agent it names', async () => {
    const sup = new FakeAgent('sup', ['supervisor'], () => ({ agentId: 'doc', reason: 'asks for docs' }));
    agents = [sup, new FakeAgent('code', ['code_generator']), new FakeAgent('doc', ['documentation'])];
    const r = await service({}, FakeScores.live({ code: 0.9, doc: 0.4 })).route({ message: 'write the README', intent: 'docs' });
    expect(r).to.deep.include({ agentId: 'doc', decidedBy: 'supervisor', conversationId: 'conv-1', response: { echo: 'write the README', by: 'doc' } });
    expect(r.attempts).to.have.length(1);
    expect(sup.calls[0]!.method).to.equal('route.decide');
    expect(sup.calls[0]!.params).to.deep.equal({
      message: 'write the README',
      conversationId: 'conv-1',
      intent: 'docs',
      candidates: [
        { agentId: 'code', capabilities: ['code_generator'], routingScore: 0.9 },
        { agentId: 'doc', capabilities: ['documentation'], routingScore: 0.4 },
      ],
    });
    expect(sup.calls[0]!.timeoutMs).to.equal(250);
    expect(events).to.deep.equal(['decided:supervisor', 'attempt:ok', 'routed:delivered']);
  });

  for (const [name, behaviour, reason] of [
    ['times out', fails('timeout'), 'timeout'],
    ['answers with an error', fails('error'), 'error'],
    ['names an agent that is not a candidate', () => ({ agentId: 'ghost' }), 'invalid'],
    ['answers nonsense', () => 'doc please', 'invalid'],
  ] as [string, Behaviour, string][]) {
    it(`falls back to the intent rules when the supervisor ${name}`, async () => {
      agents = [new FakeAgent('sup', ['supervisor'], behaviour), new FakeAgent('code', ['code_generator']), new FakeAgent('dbg', ['debugger'])];
      const r = await service({ intentRules: [{ capability: 'debugger', keywords: ['stack trace'], flags: 'i' }] }).route({
        message: 'here is a Stack  Trace',
      });
      expect(r).to.include({ agentId: 'dbg', decidedBy: 'intent_rule', capability: 'debugger' });
      expect(events.slice(0, 2)).to.deep.equal([`fallback:${reason}`, 'decided:intent_rule']);
    });
  }

  it('intent rules: the intent hint first, then keywords as whole words, then patterns, in rule order', async () => {
    agents = [new FakeAgent('code', ['code_generator']), new FakeAgent('dbg', ['debugger']), new FakeAgent('doc', ['documentation'])];
    const s = service({
      intentRules: [
        { capability: 'debugger', keywords: ['bug', 'crash'], flags: 'i' },
        { capability: 'documentation', pattern: '\\bdocs?\\b|readme', flags: 'i' },
      ],
    });
    expect((await s.route({ message: 'please debug this' })).decidedBy, '"bug" is not a word in "debug"').to.equal('strategy');
    expect((await s.route({ message: 'it crashed? no: it CRASH' })).agentId).to.equal('dbg');
    expect((await s.route({ message: { text: 'update the README' } })).agentId).to.equal('doc');
    expect((await s.route({ message: 'a bug in the docs' })).agentId, 'first rule wins').to.equal('dbg');
    expect((await s.route({ message: 'a bug in the docs', intent: 'docs' })).agentId, 'intent is read first').to.equal('doc');
  });

  it('an intent rule whose capability no agent has leaves the choice to the strategy', async () => {
    agents = [new FakeAgent('code', ['code_generator'])];
    const r = await service({ intentRules: [{ capability: 'debugger', keywords: ['bug'], flags: 'i' }] }).route({ message: 'a bug' });
    expect(r).to.include({ agentId: 'code', decidedBy: 'strategy' });
    expect(r).not.to.have.property('capability');
  });

  it('relays the conversation history (oldest first, newest N within the byte budget) and records both sides', async () => {
    conversations = new ConversationStore({ clock }, { historyMessages: 3, historyBytes: 10_000 });
    agents = [new FakeAgent('a', ['x'], (_m, p) => `answer to ${p.message}`)];
    const s = service();
    const first = await s.route({ message: 'q1' });
    expect(agents[0]!.calls[0]!.params).to.deep.equal({ conversationId: first.conversationId, message: 'q1', history: [], attempt: 1 });
    clock.advance(1000);
    await s.route({ message: 'q2', conversationId: first.conversationId });
    await s.route({ message: 'q3', conversationId: first.conversationId });
    const third = agents[0]!.calls[2]!.params;
    expect(third.history.map((h: any) => [h.role, h.message])).to.deep.equal([
      ['agent', 'answer to q1'],
      ['user', 'q2'],
      ['agent', 'answer to q2'],
    ]);
    expect(third.history[0]).to.include({ agentId: 'a', timestamp: 1_000_000 });
    expect(conversations.get(first.conversationId)!.messages).to.have.length(6);
  });

  it('falls back to the next agent on timeout, error and disconnect, listing every attempt', async () => {
    agents = [
      new FakeAgent('a', ['x'], fails('timeout')),
      new FakeAgent('b', ['x'], fails('error')),
      new FakeAgent('c', ['x'], fails('disconnected')),
      new FakeAgent('d', ['x']),
    ];
    agents.forEach((a, i) => (a.inFlight = i)); // LEAST_LOADED tries a, b, c, d in order
    const r = await service({ maxAttempts: 4 }).route({ message: 'hi', timeoutMs: 1234 });
    expect(r.agentId).to.equal('d');
    expect(r.attempts.map((a) => [a.agentId, a.outcome])).to.deep.equal([
      ['a', 'timeout'],
      ['b', 'error'],
      ['c', 'disconnected'],
      ['d', 'ok'],
    ]);
    expect(r.attempts[1]!.error).to.deep.equal({ code: -32000, message: 'boom' });
    expect(agents.map((a) => a.calls[0]!.params.attempt)).to.deep.equal([1, 2, 3, 4]);
    expect(agents[0]!.calls[0]!.timeoutMs).to.equal(1234);
  });

  it('teaches the router every delivery (agent, outcome, its duration), as the pool’s attempts do', async () => {
    agents = [
      new FakeAgent('a', ['x'], fails('timeout')),
      new FakeAgent('b', ['x'], fails('error')),
      new FakeAgent('c', ['x'], fails('disconnected')),
      new FakeAgent('d', ['x']),
    ];
    agents.forEach((a, i) => {
      a.inFlight = i;
      a.takes = { clock, ms: 10 * (i + 1) };
    });
    const svc = service({ maxAttempts: 4 });
    const router = (svc as unknown as { deps: { router: AgentRouter } }).deps.router;
    const seen: { agentId: string; outcome: string; latencyMs: number }[] = [];
    const observe = router.observe.bind(router);
    router.observe = (o) => {
      seen.push({ agentId: o.agentId, outcome: o.outcome, latencyMs: o.latencyMs });
      observe(o);
    };
    await svc.route({ message: 'hi' });
    expect(seen).to.deep.equal([
      { agentId: 'a', outcome: 'timeout', latencyMs: 10 },
      { agentId: 'b', outcome: 'failed', latencyMs: 20 },
      { agentId: 'c', outcome: 'lost', latencyMs: 30 },
      { agentId: 'd', outcome: 'completed', latencyMs: 40 },
    ]);
    expect(router.observationCount).to.equal(4);
  });

  it('gives up after maxAttempts with ROUTE_FAILED carrying the attempts; the message stays in the history', async () => {
    agents = ['a', 'b', 'c', 'd'].map((id) => new FakeAgent(id, ['x'], fails('error')));
    const err = await service({ maxAttempts: 3 })
      .route({ message: 'hi', conversationId: 'c1' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).errorName).to.equal('ROUTE_FAILED');
    expect(((err as AppError).data!.attempts as unknown[]).length).to.equal(3);
    expect(conversations.get('c1')!.messages.map((m) => m.role)).to.deep.equal(['user']);
    expect(events.at(-1)).to.equal('routed:failed');
  });

  describe('supervisors', () => {
    it('a supervisor’s error or timeout counts against its own breaker; once open it is not asked, until its half-open trial', async () => {
      const answers: Behaviour[] = [fails('error'), fails('timeout')];
      const sup = new FakeAgent('sup', ['supervisor'], (m, p) => (answers.shift() ?? (() => ({ agentId: 'b' })))(m, p));
      agents = [sup, new FakeAgent('a', ['x']), new FakeAgent('b', ['x'])];
      agents[1]!.inFlight = 0;
      agents[2]!.inFlight = 1;
      const s = service();
      for (let i = 0; i < 2; i++) expect((await s.route({ message: i })).decidedBy).to.equal('strategy');
      expect(events.filter((e) => e.startsWith('fallback:'))).to.deep.equal(['fallback:error', 'fallback:timeout']);
      expect(breakers.state('sup'), 'failureThreshold 2').to.equal('open');
      events = [];
      const skipped = await s.route({ message: 'skip' });
      expect(sup.calls).to.have.length(2);
      expect(skipped).to.include({ decidedBy: 'strategy', agentId: 'a' });
      expect(events, 'skipping an open supervisor is no fallback').to.deep.equal(['decided:strategy', 'attempt:ok', 'routed:delivered']);
      clock.advance(5_000);
      expect(breakers.state('sup')).to.equal('half_open');
      const trial = await s.route({ message: 'trial' });
      expect(sup.calls).to.have.length(3);
      expect(trial).to.include({ decidedBy: 'supervisor', agentId: 'b' });
      expect(breakers.state('sup')).to.equal('closed');
    });

    it('an answer that cannot be used (invalid) is not a failure of the supervisor', async () => {
      const sup = new FakeAgent('sup', ['supervisor'], () => ({ agentId: 'nobody' }));
      agents = [sup, new FakeAgent('a', ['x'])];
      const s = service();
      for (let i = 0; i < 4; i++) await s.route({ message: i });
      expect(events.filter((e) => e.startsWith('fallback:'))).to.deep.equal(Array(4).fill('fallback:invalid'));
      expect(breakers.state('sup')).to.equal('closed');
      expect(sup.calls).to.have.length(4);
    });

    it('asks the supervisor with the least work, rotating among equally loaded ones', async () => {
      const sups = ['s1', 's2', 's3'].map((id) => new FakeAgent(id, ['supervisor'], () => ({ agentId: 'a' })));
      sups[0]!.inFlight = 2;
      agents = [...sups, new FakeAgent('a', ['x'])];
      const s = service();
      for (let i = 0; i < 4; i++) await s.route({ message: i });
      expect(
        sups.map((x) => x.calls.length),
        's1 is busier: never asked',
      ).to.deep.equal([0, 2, 2]);
      sups[2]!.inFlight = 1;
      for (let i = 0; i < 3; i++) await s.route({ message: i });
      expect(
        sups.map((x) => x.calls.length),
        's2 alone has the least work',
      ).to.deep.equal([0, 5, 2]);
      for (const x of sups) x.inFlight = 0;
      const before = sups.map((x) => x.calls.length);
      for (let i = 0; i < 6; i++) await s.route({ message: i });
      expect(
        sups.map((x, i) => x.calls.length - before[i]!),
        'three equals share the work',
      ).to.deep.equal([2, 2, 2]);
    });

    it('skips a supervisor whose breaker is open and asks another', async () => {
      const broken = new FakeAgent('s-broken', ['supervisor'], fails('error'));
      const fine = new FakeAgent('s-fine', ['supervisor'], () => ({ agentId: 'a' }));
      fine.inFlight = 1; // the broken one has less work, so it is asked first while its breaker lets it
      agents = [broken, fine, new FakeAgent('a', ['x'])];
      const s = service();
      for (let i = 0; i < 2; i++) expect((await s.route({ message: i })).decidedBy).to.equal('strategy');
      expect(breakers.state('s-broken')).to.equal('open');
      for (let i = 0; i < 3; i++) expect((await s.route({ message: i })).decidedBy).to.equal('supervisor');
      expect([broken.calls.length, fine.calls.length]).to.deep.equal([2, 3]);
    });
  });

  describe("the daemon's own time (routing overhead)", () => {
    it('subtracts the agents’ time: an agent taking exactly 40 ms and a supervisor taking 15 ms leave ~0 ms of overhead', async () => {
      const sup = new FakeAgent('sup', ['supervisor'], () => ({ agentId: 'a' }));
      sup.takes = { clock, ms: 15 };
      const a = new FakeAgent('a', ['x']);
      a.takes = { clock, ms: 40 };
      agents = [sup, a];
      const started = clock.now();
      await service().route({ message: 'hi' });
      expect(clock.now() - started, 'the route took the agents’ time').to.equal(55);
      expect(routed).to.deep.equal([{ overheadMs: 0, agentMs: 55 }]);
      expect(attemptSeconds).to.deep.equal([0.04]);
    });

    it('subtracts the time of failed attempts too (an agent that timed out after 30 ms)', async () => {
      const slow = new FakeAgent('slow', ['x'], fails('timeout'));
      slow.takes = { clock, ms: 30 };
      const ok = new FakeAgent('ok', ['x']);
      ok.takes = { clock, ms: 10 };
      slow.inFlight = 0;
      ok.inFlight = 1; // LEAST_LOADED tries slow first
      agents = [slow, ok];
      const r = await service().route({ message: 'hi' });
      expect(r.attempts.map((x) => [x.agentId, x.outcome, x.durationMs])).to.deep.equal([
        ['slow', 'timeout', 30],
        ['ok', 'ok', 10],
      ]);
      expect(routed).to.deep.equal([{ overheadMs: 0, agentMs: 40 }]);
    });

    it('with the request’s frame timing, counts what the daemon does around route() (parsing, the reply) and only that', async () => {
      const a = new FakeAgent('a', ['x']);
      a.takes = { clock, ms: 40 };
      agents = [a];
      const frame = new FrameTiming(() => clock.now());
      clock.advance(1); // parse and validate router.route
      const pending = service().route({ message: 'hi' }, frame);
      await pending;
      clock.advance(2); // serialise and send the reply
      expect(routed, 'reported only once the reply is out').to.deep.equal([]);
      frame.replied();
      expect(routed).to.deep.equal([{ overheadMs: 3, agentMs: 40 }]);
    });

    it('counts a call that cannot tell its wait as the agent’s time entirely', async () => {
      const a = new FakeAgent('a', ['x'], () => {
        clock.advance(25);
        return 'done';
      });
      agents = [a];
      await service().route({ message: 'hi' });
      expect(routed).to.deep.equal([{ overheadMs: 0, agentMs: 25 }]);
    });
  });

  it('a failing agent is kept out by its circuit breaker, half-open after the cooldown, closed again on success', async () => {
    const flaky = new FakeAgent('flaky', ['x'], fails('error'));
    const steady = new FakeAgent('steady', ['x']);
    steady.inFlight = 1; // LEAST_LOADED prefers flaky while it is allowed
    agents = [flaky, steady];
    const s = service();
    await s.route({ message: 1 });
    await s.route({ message: 2 });
    expect(breakers.state('flaky')).to.equal('open');
    await s.route({ message: 3 });
    expect(flaky.calls).to.have.length(2, 'open: not tried');
    clock.advance(5_000);
    expect(breakers.state('flaky')).to.equal('half_open');
    flaky.behaviour = () => 'better now';
    const r = await s.route({ message: 4 });
    expect(r.agentId).to.equal('flaky');
    expect(breakers.state('flaky')).to.equal('closed');
  });

  it('refuses with NO_CANDIDATES when nobody matches, and names the open circuits when all are open', async () => {
    agents = [new FakeAgent('sup', ['supervisor'])];
    await expectAppError(service().route({ message: 'x' }), 'NO_CANDIDATES');
    agents = [new FakeAgent('a', ['x'])];
    await expectAppError(service().route({ message: 'x', requiredCapabilities: ['y'] }), 'NO_CANDIDATES');
    breakers.failure('a', breakers.attempt('a')!);
    breakers.failure('a', breakers.attempt('a')!);
    const err = await expectAppError(service().route({ message: 'x' }), 'NO_CANDIDATES');
    expect(err.data).to.deep.equal({ openCircuits: ['a'], openCircuitCount: 1 });
  });

  it('two routes racing through a supervisor cannot both take a half-open agent’s single trial', async () => {
    let release!: () => void;
    const decided = new Promise<void>((r) => (release = r));
    const sup = new FakeAgent('sup', ['supervisor'], async () => {
      await decided;
      return { agentId: 'flaky' };
    });
    const flaky = new FakeAgent('flaky', ['x']);
    const steady = new FakeAgent('steady', ['x']);
    agents = [sup, flaky, steady];
    breakers.failure('flaky', breakers.attempt('flaky')!);
    breakers.failure('flaky', breakers.attempt('flaky')!);
    clock.advance(5_000);
    expect(breakers.state('flaky')).to.equal('half_open');
    const s = service();
    const both = Promise.all([s.route({ message: 1 }), s.route({ message: 2 })]);
    release();
    const results = await both;
    expect(
      flaky.calls.filter((c) => c.method === 'message.deliver'),
      'one trial only',
    ).to.have.length(1);
    expect(results.map((r) => r.agentId).sort()).to.deep.equal(['flaky', 'steady']);
    expect(breakers.state('flaky')).to.equal('closed');
  });

  it('a supervisor’s choice that left while it decided falls back to the rules', async () => {
    const gone = new FakeAgent('gone', ['x']);
    const sup = new FakeAgent('sup', ['supervisor'], () => {
      agents = agents.filter((a) => a !== gone);
      return { agentId: 'gone' };
    });
    agents = [sup, gone, new FakeAgent('stays', ['x'])];
    const r = await service().route({ message: 'hi' });
    expect(r).to.include({ agentId: 'stays', decidedBy: 'strategy' });
    expect(gone.calls).to.deep.equal([]);
    expect(events[0]).to.equal('fallback:unavailable');
  });

  it('caps a requested per-attempt timeout at maxDeliverTimeoutMs', async () => {
    agents = [new FakeAgent('a', ['x'])];
    await service({ maxDeliverTimeoutMs: 5_000 }).route({ message: 'hi', timeoutMs: 3_600_000 });
    expect(agents[0]!.calls[0]!.timeoutMs).to.equal(5_000);
  });

  it('required capabilities restrict the first choice and the fallbacks', async () => {
    agents = [
      new FakeAgent('py', ['code_generator', 'python'], fails('error')),
      new FakeAgent('js', ['code_generator']),
      new FakeAgent('py2', ['code_generator', 'python']),
    ];
    agents[2]!.inFlight = 1;
    const r = await service().route({ message: 'x', requiredCapabilities: ['python'] });
    expect(r.attempts.map((a) => a.agentId)).to.deep.equal(['py', 'py2']);
  });
});

async function expectAppError(p: Promise<unknown>, name: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(AppError);
  expect((err as AppError).errorName).to.equal(name);
  return err as AppError;
}
