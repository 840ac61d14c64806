import { AppError } from '../../../../src/errors.js';
import { expect } from 'chai';
import type { Log } from '../../../../src/log.js';
import { AutoScaler, SCALING_HISTORY_SIZE } from '../../../../src/pool/scaling/auto-scaler.js';
import type { ScalingPolicy } from '../../../../src/pool/scaling/scaling-policy.js';
import { ScalingPolicyError } from '../../../../src/pool/scaling/scaling-policy.js';
import { VirtualClock } from '../../../../src/time/virtual-clock.js';
import { FakePool } from './fake-pool.js';

function setup(agents: number, policy: Partial<ScalingPolicy> = {}, log?: Log) {
  const clock = new VirtualClock();
  const pool = new FakePool(agents);
  const scaler = new AutoScaler({ clock, target: pool, log }, policy);
  return { clock, pool, scaler };
}

function recordingLog() {
  const lines: { level: string; msg?: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

describe('AutoScaler', () => {
  describe('policy', () => {
    it('starts from the defaults merged with the constructor policy', () => {
      const { scaler } = setup(0, { maxAgents: 4 });
      expect(scaler.policy()).to.deep.equal({
        minAgents: 0,
        maxAgents: 4,
        targetUtilization: 0.7,
        scaleUpCooldownS: 30,
        scaleDownStabilizationS: 300,
        template: 'echo',
        queueDepthPerAgent: 1,
      });
    });

    it('refuses an invalid constructor policy', () => {
      expect(() => setup(0, { minAgents: 5, maxAgents: 4 })).to.throw(ScalingPolicyError);
    });

    it('setPolicy merges a partial policy and validates the merged whole', () => {
      const { scaler } = setup(0);
      expect(scaler.setPolicy({ minAgents: 2, template: 'gpt' })).to.include({ minAgents: 2, maxAgents: 16, template: 'gpt' });
      let err: unknown;
      try {
        scaler.setPolicy({ maxAgents: 1 }); // below the minAgents set above
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ScalingPolicyError).and.instanceOf(RangeError);
      expect((err as ScalingPolicyError).paths).to.deep.equal(['minAgents']);
      expect(scaler.policy()).to.include({ minAgents: 2, maxAgents: 16 });
    });

    it('refuses a template the target cannot start with UNKNOWN_TEMPLATE, and keeps the policy in force', () => {
      const { pool, scaler } = setup(0);
      pool.templates = ['gpt'];
      expect(scaler.setPolicy({ template: 'gpt' })).to.include({ template: 'gpt' });
      let err: unknown;
      try {
        scaler.setPolicy({ template: 'nope', minAgents: 1 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(AppError).and.include({ errorName: 'UNKNOWN_TEMPLATE', code: -32027 });
      expect((err as AppError).data).to.deep.equal({ template: 'nope' });
      expect(scaler.policy()).to.include({ template: 'gpt', minAgents: 0 });
    });

    it('returns copies, so callers cannot change the policy in force', () => {
      const { scaler } = setup(0);
      scaler.policy().maxAgents = 1;
      expect(scaler.policy().maxAgents).to.equal(16);
    });
  });

  describe('execute', () => {
    it('scales up through the target with the policy template and records the event', async () => {
      const { clock, pool, scaler } = setup(4, { targetUtilization: 0.5, template: 'worker' });
      pool.utilization = 0.9;
      const r = await scaler.execute();
      const reason = 'utilization 0.90 above target 0.50: 4 → 8';
      expect(r).to.deep.equal({ current: 4, desired: 8, action: 'scale_up', changed: 4, reason, rule: 'utilization' });
      expect(pool.calls).to.deep.equal(['up 4 worker']);
      expect(pool.agents).to.equal(8);
      const [event, ...rest] = scaler.history();
      expect(rest).to.deep.equal([]);
      expect(event).to.include({ at: clock.now(), from: 4, to: 8, desired: 8, action: 'scale_up', changed: 4, rule: 'utilization', queueDepth: 0 });
      expect(event!.utilization).to.be.closeTo(0.9, 1e-12);
    });

    it('scales down when the recommendation is lower and no higher one is in the window', async () => {
      const { pool, scaler } = setup(4);
      pool.utilization = 0.35;
      expect(await scaler.execute()).to.include({ current: 4, desired: 2, action: 'scale_down', changed: 2 });
      expect(pool.calls).to.deep.equal(['down 2']);
      expect(scaler.history(1)[0]).to.include({ from: 4, to: 2, action: 'scale_down' });
    });

    it('does nothing and records nothing when the pool is where it should be', async () => {
      const { pool, scaler } = setup(4);
      pool.utilization = 0.7;
      expect(await scaler.execute()).to.deep.include({ action: 'none', changed: 0, rule: 'tolerance' });
      expect(pool.calls).to.deep.equal([]);
      expect(scaler.history()).to.deep.equal([]);
    });

    it('scales from zero when tasks are queued', async () => {
      const { pool, scaler } = setup(0);
      pool.queueDepth = 2;
      expect(await scaler.execute()).to.include({ current: 0, desired: 2, action: 'scale_up', changed: 2, rule: 'scale_from_zero' });
      expect(pool.calls).to.deep.equal(['up 2 echo']);
    });

    it('reports a partial scale-up as it happened', async () => {
      const { pool, scaler } = setup(2);
      pool.queueDepth = 3;
      pool.startLimit = 1;
      const r = await scaler.execute();
      expect(r).to.include({ desired: 5, action: 'scale_up', changed: 1 });
      expect(r.reason).to.match(/; 1 of 3 started$/);
      expect(scaler.history(1)[0]).to.include({ from: 2, to: 3 });
    });

    it('waits scaleUpCooldownS after a scale-up before the next one, recording the held decision', async () => {
      const { clock, pool, scaler } = setup(2, { scaleUpCooldownS: 30 });
      pool.queueDepth = 1;
      expect(await scaler.execute()).to.include({ action: 'scale_up', changed: 1 });
      clock.advance(10_000);
      const held = await scaler.execute();
      expect(held).to.include({ current: 3, desired: 4, action: 'none', changed: 0, rule: 'cooldown' });
      expect(held.reason).to.match(/scale-up cooldown, 20 s left$/);
      expect(pool.calls).to.have.length(1);
      expect(scaler.history(1)[0]).to.include({ action: 'none', rule: 'cooldown', from: 3, to: 3 });
      clock.advance(19_999);
      expect(await scaler.execute()).to.include({ action: 'none', rule: 'cooldown' });
      clock.advance(1);
      expect(await scaler.execute()).to.include({ action: 'scale_up', changed: 1 });
      expect(pool.calls).to.deep.equal(['up 1 echo', 'up 1 echo']);
    });

    it('starts no cooldown when the target could start nobody', async () => {
      const { pool, scaler } = setup(1);
      pool.queueDepth = 1;
      pool.startLimit = 0;
      expect(await scaler.execute()).to.include({ action: 'scale_up', changed: 0 });
      pool.startLimit = Infinity;
      expect(await scaler.execute()).to.include({ action: 'scale_up', changed: 1 });
    });

    it('does not hold scale-downs with the scale-up cooldown', async () => {
      const { clock, pool, scaler } = setup(2, { scaleDownStabilizationS: 0 });
      pool.queueDepth = 2;
      await scaler.execute();
      pool.queueDepth = 0;
      pool.utilization = 0;
      clock.advance(1_000);
      expect(await scaler.execute()).to.include({ action: 'scale_down', desired: 0, changed: 4 });
    });

    it('runs one execution at a time: a concurrent call returns busy without touching the target', async () => {
      const { pool, scaler } = setup(1);
      pool.queueDepth = 3;
      const release = pool.hold();
      const first = scaler.execute();
      const second = await scaler.execute();
      expect(second).to.deep.equal({ current: 1, desired: 4, action: 'none', changed: 0, reason: 'busy', rule: 'busy' });
      expect(pool.calls).to.deep.equal(['up 3 echo']);
      release();
      expect(await first).to.include({ action: 'scale_up', changed: 3 });
      expect(scaler.history()).to.have.length(1);
      pool.queueDepth = 0;
      pool.utilization = 0.7;
      expect(await scaler.execute()).to.include({ action: 'none', rule: 'tolerance' });
    });

    it('releases the guard when the target fails, and starts no cooldown', async () => {
      const { pool, scaler } = setup(1);
      pool.queueDepth = 1;
      pool.failNext = new Error('spawn failed');
      let err: unknown;
      await scaler.execute().catch((e: unknown) => (err = e));
      expect((err as Error).message).to.equal('spawn failed');
      expect(await scaler.execute()).to.include({ action: 'scale_up', changed: 1 });
    });

    it('keeps only the last SCALING_HISTORY_SIZE events, newest first', async () => {
      const { clock, pool, scaler } = setup(1, { scaleUpCooldownS: 0 });
      for (let i = 0; i < SCALING_HISTORY_SIZE + 5; i++) {
        pool.agents = 1;
        pool.queueDepth = 1;
        clock.advance(1_000);
        await scaler.execute();
      }
      const all = scaler.history(1_000);
      expect(all).to.have.length(SCALING_HISTORY_SIZE);
      expect(all[0]!.at).to.equal(clock.now());
      expect(all[0]!.at - all[all.length - 1]!.at).to.equal((SCALING_HISTORY_SIZE - 1) * 1_000);
      expect(scaler.history()).to.have.length(50);
      expect(scaler.history(3).map((e) => e.at)).to.deep.equal([clock.now(), clock.now() - 1_000, clock.now() - 2_000]);
    });
  });

  describe('scale-down stabilization', () => {
    it('ignores a dip shorter than the window and scales down once the dip outlasts it', async () => {
      const { clock, pool, scaler } = setup(4, { scaleDownStabilizationS: 300 });
      pool.utilization = 0.7;
      expect(await scaler.execute()).to.include({ action: 'none', desired: 4 });
      pool.utilization = 0.35; // wants 2
      for (let t = 15; t <= 300; t += 15) {
        clock.advance(15_000);
        const r = await scaler.execute();
        expect(r, `at ${t} s`).to.include({ action: 'none', desired: 4, rule: 'stabilization' });
      }
      clock.advance(15_000); // the last 4 is now 315 s old
      expect(await scaler.execute()).to.include({ action: 'scale_down', desired: 2, changed: 2 });
      expect(pool.agents).to.equal(2);
    });

    it('restarts the window when utilization comes back before it ends', async () => {
      const { clock, pool, scaler } = setup(4, { scaleDownStabilizationS: 60 });
      pool.utilization = 0.7;
      await scaler.execute();
      pool.utilization = 0.35;
      clock.advance(50_000);
      await scaler.execute();
      pool.utilization = 0.7; // back up briefly: a fresh 4 in the window
      clock.advance(5_000);
      await scaler.execute();
      pool.utilization = 0.35;
      clock.advance(50_000); // 105 s after the first 4, 50 s after the second
      expect(await scaler.execute()).to.include({ action: 'none', rule: 'stabilization' });
      clock.advance(11_000);
      expect(await scaler.execute()).to.include({ action: 'scale_down', desired: 2 });
    });

    it('counts recommendation() calls as observations', async () => {
      const { clock, pool, scaler } = setup(4, { scaleDownStabilizationS: 60 });
      pool.utilization = 0.7;
      expect(scaler.recommendation()).to.include({ current: 4, desired: 4, rule: 'tolerance' });
      pool.utilization = 0.35;
      clock.advance(30_000);
      expect(scaler.recommendation()).to.include({ desired: 4, proposed: 2, rule: 'stabilization' });
      expect(pool.calls).to.deep.equal([]);
      clock.advance(31_000);
      expect(await scaler.execute()).to.include({ action: 'scale_down', desired: 2 });
    });

    it('enforces a lowered maxAgents at once, window or not', async () => {
      const { pool, scaler } = setup(8);
      pool.utilization = 0.7;
      await scaler.execute();
      scaler.setPolicy({ maxAgents: 5 });
      expect(await scaler.execute()).to.include({ action: 'scale_down', desired: 5, changed: 3 });
    });
  });

  describe('start / stop', () => {
    it('executes every interval on the clock until stopped', async () => {
      const { clock, pool, scaler } = setup(1, { scaleUpCooldownS: 0 });
      pool.queueDepth = 1;
      expect(scaler.start(10)).to.deep.equal({ running: true, intervalSeconds: 10 });
      expect(scaler.running).to.equal(true);
      expect(clock.pendingTimers()).to.equal(1);
      clock.advance(9_999);
      expect(pool.calls).to.deep.equal([]);
      clock.advance(1);
      await scaler.idle();
      expect(pool.calls).to.deep.equal(['up 1 echo']);
      clock.advance(10_000);
      await scaler.idle();
      expect(pool.calls).to.have.length(2);
      expect(scaler.history()).to.have.length(2);
      expect(scaler.stop()).to.deep.equal({ running: false, intervalSeconds: 10 });
      expect(clock.pendingTimers()).to.equal(0);
      clock.advance(60_000);
      await scaler.idle();
      expect(pool.calls).to.have.length(2);
    });

    it('is idempotent, restarts on a new interval, and remembers the last interval', () => {
      const { clock, scaler } = setup(0);
      expect(scaler.status()).to.deep.equal({ running: false, intervalSeconds: 15 });
      scaler.start();
      scaler.start();
      expect(clock.pendingTimers()).to.equal(1);
      expect(scaler.start(5)).to.deep.equal({ running: true, intervalSeconds: 5 });
      expect(clock.pendingTimers()).to.equal(1);
      scaler.stop();
      scaler.stop();
      expect(scaler.start()).to.deep.equal({ running: true, intervalSeconds: 5 });
      expect(() => scaler.start(0)).to.throw(RangeError);
    });

    it('skips ticks while an execution is still running', async () => {
      const { clock, pool, scaler } = setup(1);
      pool.queueDepth = 1;
      const release = pool.hold();
      scaler.start(1);
      clock.advance(5_000);
      expect(pool.calls).to.deep.equal(['up 1 echo']);
      release();
      await scaler.idle();
      expect(scaler.history()).to.have.length(1);
      scaler.stop();
    });

    it('logs a failed timer-driven execution and keeps running', async () => {
      const { log, lines } = recordingLog();
      const { clock, pool, scaler } = setup(1, {}, log);
      pool.queueDepth = 1;
      pool.failNext = new Error('spawn failed');
      scaler.start(1);
      clock.advance(1_000);
      await scaler.idle();
      await Promise.resolve();
      expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).to.deep.equal(['scaling execution failed']);
      clock.advance(1_000);
      await scaler.idle();
      expect(pool.agents).to.equal(2);
      scaler.stop();
    });
  });
});
