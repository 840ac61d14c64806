import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';
import type { TestClient } from '../support/ws-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('coordination and router methods (in-process daemon on a virtual clock)', () => {
  let daemon: InProcessDaemon;
  let c: TestClient;

  before(async () => {
    daemon = await startInProcess({ COORDD_MAX_BATCH: '20' });
    c = daemon.connect();
  });
  after(async () => {
    await c.close();
    await daemon.stop();
  });

  describe('coordination.signal', () => {
    it('accepts one signal and answers {signalId, agentId, routingScore}', async () => {
      const r = await c.request('coordination.signal', { agentId: 's1', signalType: 'quality', value: 1, confidence: 1, ttlSeconds: 30 });
      expect(r).to.have.keys(['signalId', 'agentId', 'routingScore']);
      expect(r.signalId).to.match(UUID);
      expect(r.agentId).to.equal('s1');
      expect(r.routingScore).to.be.within(0.5, 1);
    });

    it('moves the routing score the right way for inverted types', async () => {
      const low = await c.request('coordination.signal', { agentId: 'inv-a', signalType: 'load', value: 0 });
      const high = await c.request('coordination.signal', { agentId: 'inv-b', signalType: 'load', value: 1 });
      const lat = await c.request('coordination.signal', { agentId: 'inv-c', signalType: 'latency', value: 1 });
      expect(low.routingScore).to.be.above(0.5);
      expect(high.routingScore).to.be.below(0.5);
      expect(lat.routingScore, 'latency counts').to.be.below(0.5);
    });

    it('reports invalid params with paths', async () => {
      const cases: [object, string[]][] = [
        [{ agentId: 's1', signalType: 'load', value: 2 }, ['value']],
        [{ agentId: 's1', signalType: 'mood', value: 0.5 }, ['signalType']],
        [{ agentId: 's1', signalType: 'load', value: 0.5, ttlSeconds: 0 }, ['ttlSeconds']],
        [{ agentId: 's1', signalType: 'load', value: 0.5, confidence: -0.1 }, ['confidence']],
        [{ signalType: 'load', value: 0.5 }, ['agentId']],
        [{ agentId: '', signalType: 'load', value: 0.5, extra: 1 }, ['agentId', 'extra']],
        [{ signals: [] }, ['signals']],
      ];
      for (const [params, paths] of cases) {
        const r = await c.call('coordination.signal', params);
        expect(r.error.code, JSON.stringify(params)).to.equal(-32602);
        expect(r.error.data.paths, JSON.stringify(params)).to.have.members(paths);
      }
    });

    it('takes a batch, rejecting bad entries one by one and keeping the good ones', async () => {
      const r = await c.request('coordination.signal', {
        signals: [
          { agentId: 'b1', signalType: 'load', value: 0.2 },
          { agentId: 'b1', signalType: 'load', value: 7 },
          'not an object',
          { agentId: 'b2', signalType: 'cost', value: 0.1 },
          { agentId: 'b3', signalType: 'nope', value: 0.1 },
        ],
      });
      expect(r.accepted).to.equal(2);
      expect(r.signalIds).to.have.length(2);
      for (const id of r.signalIds) expect(id).to.match(UUID);
      expect(r.rejected.map((x: any) => [x.index, x.code, x.paths])).to.deep.equal([
        [1, -32602, ['value']],
        [2, -32602, ['params']],
        [4, -32602, ['signalType']],
      ]);
      expect((await c.request('coordination.state', { agentId: 'b2' })).signals[0].signalType).to.equal('cost');
    });

    it('refuses a batch larger than COORDD_MAX_BATCH', async () => {
      const signals = Array.from({ length: 21 }, (_, i) => ({ agentId: `big${i}`, signalType: 'load', value: 0.5 }));
      const r = await c.call('coordination.signal', { signals });
      expect(r.error.code).to.equal(-32602);
      expect(r.error.data.paths).to.deep.equal(['signals']);
    });
  });

  describe('coordination.state', () => {
    it('returns one agent with signals, all six scores, routingScore, overload and its circuit breaker', async () => {
      await c.request('coordination.signal', { agentId: 'st1', signalType: 'availability', value: 0.8, traceId: 't-1' });
      const s = await c.request('coordination.state', { agentId: 'st1' });
      expect(s).to.have.keys(['agentId', 'signals', 'scores', 'routingScore', 'lastUpdated', 'overload', 'circuitBreaker']);
      expect(s.circuitBreaker).to.deep.equal({ state: 'closed', consecutiveFailures: 0 });
      expect(Object.keys(s.scores)).to.have.members(['load', 'capacity', 'quality', 'cost', 'latency', 'availability']);
      expect(s.scores.load).to.equal(0.5);
      expect(s.scores.availability).to.be.above(0.5);
      expect(s.signals[0]).to.include({ signalType: 'availability', value: 0.8, confidence: 1, traceId: 't-1' });
      expect(s.overload).to.have.keys(['willOverload', 'predictedLoad', 'confidence', 'samples', 'horizonSeconds', 'basis']);
      expect(s.overload.basis, 'an agent that only reports signals').to.equal('signals');
    });

    it('pages through all agents with a cursor', async () => {
      for (let i = 0; i < 5; i++) await c.request('coordination.signal', { agentId: `page-${i}`, signalType: 'load', value: 0.1 });
      const seen: string[] = [];
      let cursor: string | undefined;
      let total = 0;
      do {
        const page: any = await c.request('coordination.state', cursor ? { limit: 3, cursor } : { limit: 3 });
        expect(page.agents.length).to.be.at.most(3);
        seen.push(...page.agents.map((a: any) => a.agentId));
        total = page.total;
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).to.have.length(total);
      expect(new Set(seen).size).to.equal(total);
      expect(seen).to.include.members(['page-0', 'page-4']);
      expect([...seen].sort()).to.deep.equal(seen);
    });

    it('answers an unknown agent with UNKNOWN_AGENT (-32010) and bad params with -32602', async () => {
      const r = await c.call('coordination.state', { agentId: 'nobody' });
      expect(r.error).to.deep.include({ code: -32010, message: 'Unknown agent' });
      expect(r.error.data.name).to.equal('UNKNOWN_AGENT');
      expect((await c.call('coordination.state', { limit: 0 })).error.code).to.equal(-32602);
      expect((await c.call('coordination.state', { agentId: 5 })).error.code).to.equal(-32602);
    });
  });

  describe('coordination.predictOverload', () => {
    it('predicts overload for a rising load trend and not for a flat one', async () => {
      // The daemon timestamps signals with its own clock: five in one millisecond would show no trend, so the clock moves on after each.
      for (const v of [0.1, 0.3, 0.5, 0.7, 0.8]) {
        await c.request('coordination.signal', { agentId: 'rise', signalType: 'load', value: v });
        await daemon.advance(1);
      }
      for (const v of [0.2, 0.2, 0.2, 0.2]) await c.request('coordination.signal', { agentId: 'flat', signalType: 'load', value: v });
      const rise = await c.request('coordination.predictOverload', { agentId: 'rise', horizonSeconds: 10 });
      const flat = await c.request('coordination.predictOverload', { agentId: 'flat' });
      expect(rise.willOverload).to.equal(true);
      expect(rise.samples).to.equal(5);
      expect(flat.willOverload).to.equal(false);
      expect(flat.predictedLoad).to.be.closeTo(0.2, 0.01);
      expect(flat.horizonSeconds).to.equal(5);
    });

    it('errors on an unknown agent and invalid horizons', async () => {
      expect((await c.call('coordination.predictOverload', { agentId: 'ghost' })).error.code).to.equal(-32010);
      expect((await c.call('coordination.predictOverload', { agentId: 'rise', horizonSeconds: -1 })).error.data.paths).to.deep.equal(['horizonSeconds']);
      expect((await c.call('coordination.predictOverload', {})).error.code).to.equal(-32602);
      expect((await c.call('coordination.predictOverload', { agentId: 'rise', basis: 'pool' })).error.data.paths).to.deep.equal(['basis']);
    });

    it('forecasts an agent registered with the daemon from its own pool (basis pool), and from its reports when asked', async () => {
      const agent = daemon.connect();
      await agent.request('agent.register', { agentId: 'held', capabilities: ['forecast-test'], capacity: 2 });
      await c.request('coordination.signal', { agentId: 'held', signalType: 'load', value: 0.9 });
      const { taskId } = await c.request('pool.assign', { type: 't', requiredCapabilities: ['forecast-test'] });
      for (;;) {
        const m = await agent.next();
        if (m.method !== 'task.run') continue;
        agent.send({ jsonrpc: '2.0', id: m.id, result: { ok: true } });
        break;
      }
      expect((await c.request('task.wait', { taskId, timeoutMs: 5000 })).state).to.equal('COMPLETED');
      const pool = await c.request('coordination.predictOverload', { agentId: 'held', horizonSeconds: 5 });
      expect(pool).to.deep.include({ basis: 'pool', willOverload: false, samples: 1, horizonSeconds: 5 });
      expect(pool.predictedLoad).to.be.below(0.5);
      const reports = await c.request('coordination.predictOverload', { agentId: 'held', basis: 'signals' });
      expect(reports).to.deep.include({ basis: 'signals', willOverload: true });
      await agent.close();
    });
  });

  describe('coordination.metrics', () => {
    it('counts signals by type and outcome, agents, selections and handling percentiles', async () => {
      await c.request('router.select', { strategy: 'ROUND_ROBIN' });
      const m = await c.request('coordination.metrics');
      expect(m.signals.accepted.load).to.be.at.least(10);
      expect(m.signals.rejected.load).to.be.at.least(1);
      expect(m.signals.rejectedUntyped).to.be.at.least(2);
      expect(m.agentsTracked).to.be.at.least(10);
      expect(m.selections.ROUND_ROBIN).to.be.at.least(1);
      expect(m.signalHandlingMs.p99).to.be.at.least(m.signalHandlingMs.p50).and.above(0);
      expect(m.predictions.total).to.be.at.least(2);
      // No pool task ran here, so RIPPLE held none; the shape is the contract.
      expect(m.holds).to.deep.equal({ tasksHeld: 0, ended: 0, meanMs: 0, maxMs: 0 });
      const text = await daemon.metrics();
      expect(text).to.match(/^coordd_tasks_held_total 0$/m);
      expect(text).to.match(/^coordd_task_hold_seconds_count 0$/m);
      expect((await c.call('coordination.metrics', { verbose: true })).error.code).to.equal(-32602);
    });

    it('counts a refused single signal as rejected, in coordination.metrics and in /metrics alike', async () => {
      const scrape = async (): Promise<{ cost: number; unknown: number }> => {
        const text = await daemon.metrics();
        const value = (type: string): number =>
          Number(new RegExp(`^coordd_signals_total\\{type="${type}",outcome="rejected"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
        return { cost: value('cost'), unknown: value('unknown') };
      };
      const before = await c.request('coordination.metrics');
      const promBefore = await scrape();
      expect((await c.call('coordination.signal', { agentId: 'rej', signalType: 'cost', value: 2 })).error.code).to.equal(-32602);
      expect((await c.call('coordination.signal', { agentId: 'rej', signalType: 'nonsense', value: 0.5 })).error.code).to.equal(-32602);
      const after = await c.request('coordination.metrics');
      expect(after.signals.rejected.cost - (before.signals.rejected.cost ?? 0)).to.equal(1);
      expect(after.signals.rejectedUntyped - before.signals.rejectedUntyped).to.equal(1);
      const promAfter = await scrape();
      expect(promAfter.cost - promBefore.cost).to.equal(1);
      expect(promAfter.unknown - promBefore.unknown).to.equal(1);
    });
  });

  describe('router.select', () => {
    it('chooses the best-scored agent with RIPPLE_COORDINATION', async () => {
      await c.request('coordination.signal', {
        signals: [
          { agentId: 'r-good', signalType: 'quality', value: 1 },
          { agentId: 'r-good', signalType: 'load', value: 0 },
          { agentId: 'r-bad', signalType: 'quality', value: 0 },
          { agentId: 'r-bad', signalType: 'load', value: 1 },
        ],
      });
      const r = await c.request('router.select', { candidates: ['r-good', 'r-bad'] });
      expect(r).to.deep.include({ agentId: 'r-good', strategy: 'RIPPLE_COORDINATION', fallback: false });
      expect(r.score).to.be.above(0.5);
    });

    it('uses the strategy asked for, and falls back to RANDOM when no candidate has a live signal', async () => {
      expect((await c.request('router.select', { candidates: ['r-good', 'r-bad'], strategy: 'LEAST_LOADED' })).strategy).to.equal('LEAST_LOADED');
      const r = await c.request('router.select', { candidates: ['never-signalled-1', 'never-signalled-2'] });
      expect(r).to.deep.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'no_live_signals' });
    });

    it('errors: NO_CANDIDATES for unmatched capabilities; -32602 for a bad strategy', async () => {
      const none = await c.call('router.select', { requiredCapabilities: ['code_generator'] });
      expect(none.error).to.deep.include({ code: -32011 });
      expect(none.error.data.name).to.equal('NO_CANDIDATES');
      expect((await c.call('router.select', { strategy: 'FASTEST' })).error.data.paths).to.deep.equal(['strategy']);
      expect((await c.call('router.select', { candidates: [] })).error.code).to.equal(-32011);
    });
  });

  describe('rpc.discover', () => {
    it('returns the checked-in schemas/openrpc.json', async () => {
      const doc = await c.request('rpc.discover');
      const onDisk = JSON.parse(readFileSync(new URL('../../schemas/openrpc.json', import.meta.url), 'utf8'));
      expect(doc).to.deep.equal(onDisk);
    });
  });
});

describe('signal expiry and the sweeper (in-process daemon on a virtual clock, short intervals)', () => {
  it('sweeps expired signals on its timer, forgets the agent, counts it', async () => {
    const daemon = await startInProcess({ COORDINATION_CLEANUP_INTERVAL: '0.05', COORDD_LOG_LEVEL: 'debug' });
    const c = daemon.connect();
    await c.request('coordination.signal', { agentId: 'short', signalType: 'load', value: 0.9, ttlSeconds: 0.02 });
    await c.request('coordination.signal', { agentId: 'long', signalType: 'load', value: 0.9, ttlSeconds: 600 });
    await daemon.advanceUntil(
      daemon.waitForLog((l) => l.msg === 'sweep' && (l.removedSignals as number) > 0),
      'a sweep that removed signals',
    );
    expect((await c.call('coordination.state', { agentId: 'short' })).error.code).to.equal(-32010);
    expect((await c.request('coordination.state', { agentId: 'long' })).signals).to.have.length(1);
    const m = await c.request('coordination.metrics');
    expect(m.signals.expired.load).to.equal(1);
    expect(m.sweeps.runs).to.be.at.least(1);
    const text = await daemon.metrics();
    expect(text).to.match(/coordd_signals_expired_total\{type="load"\} 1/);
    expect(text).to.match(/coordd_sweeper_runs_total [1-9]/);
    await c.close();
    await daemon.stop();
  });

  it('falls back to RANDOM with reason rep_disabled when COORDINATION_ENABLE_REP=false', async () => {
    const daemon = await startInProcess({ COORDINATION_ENABLE_REP: 'false' });
    const c = daemon.connect();
    await c.request('coordination.signal', { agentId: 'a', signalType: 'load', value: 0.1 });
    expect(await c.request('router.select', {})).to.deep.include({ strategy: 'RANDOM', fallback: true, fallbackReason: 'rep_disabled' });
    await c.close();
    await daemon.stop();
  });
});
