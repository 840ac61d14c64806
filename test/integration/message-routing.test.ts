import { expect } from 'chai';
import { AgentWorker, RpcError, type AgentWorkerOptions } from '../../src/client/index.js';
import { inProcessSuite } from '../support/in-process-daemon.js';
import { until } from '../support/settled.js';
import { tempFiles } from '../support/temp-files.js';

/** router.route and conversations against the daemon (in-process, on a virtual clock), with AgentWorkers as the specialised agents. */
describe('message routing with conversations (in-process daemon)', function () {
  this.timeout(20_000);
  const suite = inProcessSuite(() => {
    const files = tempFiles({
      'coordd.yml': [
        'routing:',
        '  supervisorTimeoutSeconds: 0.2',
        '  maxAttempts: 3',
        '  intentRules:',
        '    - capability: debugger',
        '      keywords: [stack trace, exception]',
        '    - capability: documentation',
        "      pattern: '\\bdocs?\\b'",
        'conversations:',
        '  historyMessages: 4',
        'circuitBreaker:',
        '  failureThreshold: 2',
        '  cooldownSeconds: 60',
      ].join('\n'),
    });
    return { COORDD_CONFIG: files['coordd.yml'], COORDD_ROUTER_STRATEGY: 'LEAST_LOADED' };
  });

  async function agent(agentId: string, capabilities: string[], extra: Partial<AgentWorkerOptions> = {}): Promise<AgentWorker> {
    const w = new AgentWorker({
      transport: suite.daemon.transport(),
      agentId,
      capabilities,
      capacity: 2,
      handler: () => null,
      onMessage: (d) => ({ from: agentId, got: d.message, history: d.history.map((h) => `${h.role}:${JSON.stringify(h.message)}`) }),
      reconnect: false,
      ...extra,
    });
    suite.workers.push(w);
    await w.start();
    return w;
  }

  it('the supervisor decides, and the conversation history is relayed (newest N) on later messages', async () => {
    let asked: unknown;
    await agent('sup', ['supervisor'], {
      onRouteDecide: (req) => {
        asked = req;
        return { agentId: 'coder', reason: 'code' };
      },
    });
    await agent('coder', ['code_generator']);
    await agent('writer', ['documentation']);
    const first = await suite.op.route({ message: 'write a parser' });
    expect(first).to.deep.include({ agentId: 'coder', decidedBy: 'supervisor' });
    expect(first.response).to.deep.equal({ from: 'coder', got: 'write a parser', history: [] });
    expect((asked as { candidates: { agentId: string }[] }).candidates.map((c) => c.agentId).sort()).to.deep.equal(['coder', 'writer']);
    for (const m of ['two', 'three']) await suite.op.route({ message: m, conversationId: first.conversationId });
    const fourth = await suite.op.route({ message: 'four', conversationId: first.conversationId });
    const history = (fourth.response as { history: string[] }).history;
    expect(history, 'the newest 4 of 6 earlier messages').to.have.length(4);
    expect([history[0], history[2]]).to.deep.equal(['user:"two"', 'user:"three"']);
    expect(history[1]).to.match(/^agent:\{"from":"coder","got":"two"/);
    const conv = await suite.op.request('conversation.get', { conversationId: first.conversationId });
    expect(conv.messageCount).to.equal(8);
    expect(conv.messages[0]).to.include({ role: 'user', agentId: 'coder' });
    expect(conv.messages[0]!.timestamp).to.be.a('number');
  });

  it('a supervisor that does not answer in time leaves the choice to the intent rules', async () => {
    await agent('slow-sup', ['supervisor'], { onRouteDecide: () => new Promise(() => {}) });
    await agent('dbg', ['debugger']);
    await agent('doc', ['documentation']);
    // The supervisor's 0.2 s pass on the daemon's clock.
    const r = await suite.daemon.advanceUntil(suite.op.route({ message: 'Here is the stack trace of the crash' }), 'the first route');
    expect(r).to.deep.include({ agentId: 'dbg', decidedBy: 'intent_rule', capability: 'debugger' });
    const r2 = await suite.daemon.advanceUntil(suite.op.route({ message: 'update the docs please' }), 'the second route');
    expect(r2).to.deep.include({ agentId: 'doc', decidedBy: 'intent_rule' });
    const metrics = await (await fetch(`${suite.daemon.httpUrl}/metrics`)).text();
    expect(metrics).to.match(/coordd_route_supervisor_fallbacks_total\{reason="timeout"\} [1-9]/);
    expect(metrics).to.match(/coordd_route_decisions_total\{by="intent_rule"\} [1-9]/);
    expect(metrics).to.match(/coordd_route_overhead_seconds_count [1-9]/);
    // The two messages waited 0.2 s each for the supervisor: the agents' time, not the daemon's.
    const overheadSum = Number(/^coordd_route_overhead_seconds_sum (\S+)$/m.exec(metrics)![1]);
    expect(overheadSum).to.be.below(0.15);
  });

  it('falls back across failing agents (error, disconnect, timeout), lists every attempt in order, and opens their circuit breakers', async () => {
    // The order is forced, not hoped for: the supervisor sends each message first to bad-1 (while
    // it is a candidate); after a failure the router strategy (LEAST_LOADED) takes the least
    // loaded of the rest, and held tasks load mute (1 of 4 slots) less than good (1 of 2).
    const candidatesSeen: string[][] = [];
    await agent('sup-fb', ['supervisor'], {
      onRouteDecide: (req) => {
        const ids = req.candidates.map((c) => c.agentId).sort();
        candidatesSeen.push(ids);
        return { agentId: ids.includes('bad-1') ? 'bad-1' : 'good' };
      },
    });
    await agent('bad-1', ['x'], {
      onMessage: () => {
        throw new RpcError(-32000, 'model overloaded');
      },
    });
    const dropper = await agent('bad-2', ['x'], { onMessage: () => new Promise(() => void dropper.client.close()) });
    let releaseTasks!: () => void;
    const held = new Promise<null>((resolve) => (releaseTasks = () => resolve(null)));
    const running: string[] = [];
    const holding = (id: string) => () => {
      running.push(id);
      return held;
    };
    await agent('mute', ['x', 'hold-mute'], { capacity: 4, handler: holding('mute'), onMessage: () => new Promise(() => {}) });
    await agent('good', ['x', 'hold-good'], { capacity: 2, handler: holding('good') });
    try {
      for (const id of ['mute', 'good']) await suite.op.assign({ type: 'hold', payload: {}, requiredCapabilities: [`hold-${id}`] });
      await until(() => running.length === 2, 'both held tasks running');

      // maxAttempts is 3: bad-1 (the supervisor's choice), then bad-2 (load 0), then mute (0.25).
      const failed = (await suite.daemon.advanceUntil(
        suite.op.route({ message: 'first', requiredCapabilities: ['x'], timeoutMs: 300 }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        'the first route',
      )) as RpcError;
      expect(failed.code).to.equal(-32060);
      const attempts = (failed.data as { attempts: { agentId: string; outcome: string; durationMs: number; error?: unknown }[] }).attempts;
      expect(attempts.map((a) => [a.agentId, a.outcome])).to.deep.equal([
        ['bad-1', 'error'],
        ['bad-2', 'disconnected'],
        ['mute', 'timeout'],
      ]);
      expect(attempts[0]!.error).to.deep.equal({ code: -32000, message: 'model overloaded' });
      expect(attempts[2]!.durationMs).to.be.at.least(290);

      // Second failures of bad-1 and mute (threshold 2) open their breakers; good answers.
      const r = await suite.daemon.advanceUntil(suite.op.route({ message: 'second', requiredCapabilities: ['x'], timeoutMs: 300 }), 'the second route');
      expect(r.attempts.map((a) => [a.agentId, a.outcome])).to.deep.equal([
        ['bad-1', 'error'],
        ['mute', 'timeout'],
        ['good', 'ok'],
      ]);
      expect(r).to.deep.include({ agentId: 'good', decidedBy: 'supervisor' });
      expect(await breakerOf('bad-1')).to.equal('open');
      expect(await breakerOf('mute')).to.equal('open');

      // Open breakers keep both out, of the supervisor's candidates too.
      const again = await suite.op.route({ message: 'third', requiredCapabilities: ['x'] });
      expect(again.attempts.map((a) => [a.agentId, a.outcome])).to.deep.equal([['good', 'ok']]);
      expect(candidatesSeen).to.deep.equal([['bad-1', 'bad-2', 'good', 'mute'], ['bad-1', 'good', 'mute'], ['good']]);
      const metrics = await (await fetch(`${suite.daemon.httpUrl}/metrics`)).text();
      expect(metrics).to.match(/coordd_circuit_breakers\{state="open"\} [2-9]/);
      for (const outcome of ['error', 'disconnected', 'timeout'])
        expect(metrics).to.match(new RegExp(`coordd_route_attempts_total\\{outcome="${outcome}"\\} [1-9]`));
    } finally {
      releaseTasks();
    }
  });

  async function breakerOf(agentId: string): Promise<string | undefined> {
    const page = await suite.op.request('coordination.state', {});
    return 'circuitBreakers' in page ? page.circuitBreakers?.find((b) => b.agentId === agentId)?.state : undefined;
  }

  it('ROUTE_FAILED carries every attempt when no agent answers', async () => {
    for (const id of ['f1', 'f2']) {
      await agent(id, ['flaky'], {
        onMessage: () => {
          throw new Error('nope');
        },
      });
    }
    const err = await suite.op.route({ message: 'hello', requiredCapabilities: ['flaky'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(RpcError);
    expect((err as RpcError).code).to.equal(-32060);
    const data = (err as RpcError).data as { name: string; attempts: { agentId: string; outcome: string }[]; conversationId: string };
    expect(data.name).to.equal('ROUTE_FAILED');
    expect(data.attempts.map((a) => a.agentId).sort()).to.deep.equal(['f1', 'f2']);
    expect(data.conversationId).to.be.a('string');
  });

  it('conversation.list and conversation.close; unknown conversations get CONVERSATION_NOT_FOUND', async () => {
    await agent('echo-a', ['echo']);
    const r = await suite.op.route({ message: 'hi', conversationId: 'conv-list-1', requiredCapabilities: ['echo'] });
    expect(r.conversationId).to.equal('conv-list-1');
    const list = await suite.op.request('conversation.list', { agentId: 'echo-a' });
    expect(list.conversations.map((c) => c.conversationId)).to.deep.equal(['conv-list-1']);
    const closed = await suite.op.request('conversation.close', { conversationId: 'conv-list-1' });
    expect(closed).to.include({ conversationId: 'conv-list-1', messageCount: 2 });
    for (const method of ['conversation.get', 'conversation.close']) {
      const err = await suite.op.requestUntyped(method, { conversationId: 'conv-list-1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as RpcError).code, method).to.equal(-32061);
    }
  });

  it('invalid params name the offending fields; no agent gives NO_CANDIDATES; the daemon stays up', async () => {
    const bad: [unknown, string][] = [
      [{}, 'message'],
      [{ message: 'x', conversationId: 'has spaces' }, 'conversationId'],
      [{ message: 'x', strategy: 'FASTEST' }, 'strategy'],
      [{ message: 'x', timeoutMs: 0 }, 'timeoutMs'],
      [{ message: 'x', extra: 1 }, ''],
    ];
    for (const [params, field] of bad) {
      const err = (await suite.op.requestUntyped('router.route', params as object).then(
        () => undefined,
        (e: unknown) => e,
      )) as RpcError;
      expect(err.code, JSON.stringify(params)).to.equal(-32602);
      if (field) expect(JSON.stringify(err.data), JSON.stringify(params)).to.contain(field);
    }
    const conversationBad: [string, object, string[]][] = [
      ['conversation.get', {}, ['conversationId']],
      ['conversation.get', { conversationId: 'has spaces', extra: 1 }, ['conversationId', 'extra']],
      ['conversation.list', { limit: 0, agentId: '' }, ['limit', 'agentId']],
      ['conversation.list', { limit: 2.5, since: 1 }, ['limit', 'since']],
      ['conversation.close', {}, ['conversationId']],
      ['conversation.close', { conversationId: 'x'.repeat(129) }, ['conversationId']],
    ];
    for (const [method, params, paths] of conversationBad) {
      const err = (await suite.op.requestUntyped(method, params).then(
        () => undefined,
        (e: unknown) => e,
      )) as RpcError;
      expect(err.code, `${method} ${JSON.stringify(params)}`).to.equal(-32602);
      expect((err.data as { paths: string[] }).paths, `${method} ${JSON.stringify(params)}`).to.have.members(paths);
    }
    const none = (await suite.op.route({ message: 'x', requiredCapabilities: ['nobody-has-this'] }).then(
      () => undefined,
      (e: unknown) => e,
    )) as RpcError;
    expect(none.code).to.equal(-32011);
    expect((await fetch(`${suite.daemon.httpUrl}/healthz`)).status).to.equal(200);
  });
});
