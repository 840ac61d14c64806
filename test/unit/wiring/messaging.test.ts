import { expect } from 'chai';
import { pino } from 'pino';
import { defaultFileConfig } from '../../../src/config-file.js';
import { sequentialIds } from '../../../src/ids.js';
import { AgentCallError } from '../../../src/agent-call-error.js';
import type { RoutableAgent } from '../../../src/messaging/routable-agent.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { seededRandom } from '../../../src/random.js';
import { CircuitBreakers } from '../../../src/routing/circuit-breaker.js';
import { MessageRouter } from '../../../src/routing/message-router.js';
import { FrameTiming } from '../../../src/rpc/frame-timing.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { createMessaging } from '../../../src/wiring/messaging.js';
import { FakeScores } from '../routing/fakes.js';
import { recordingAlertInputs, sample } from './alert-feeds.js';

describe('wiring: message routing feeds the overhead alert', () => {
  /** An agent that answers (or fails) after `waitMs` on the virtual clock, reporting that wait as a peer does. */
  const agent = (clock: VirtualClock, agentId: string, waitMs: number, fail?: 'error'): RoutableAgent => ({
    agentId,
    capabilities: new Set(['x']),
    inFlight: agentId === 'first' ? 0 : 1,
    capacity: 4,
    call: async (_method, _params, _timeoutMs, onWaited) => {
      clock.advance(waitMs);
      onWaited?.(waitMs);
      if (fail) throw new AgentCallError('remote', 'no', { code: -32000, message: 'no' });
      return 'answer';
    },
  });

  function setup(agents: (clock: VirtualClock) => RoutableAgent[]) {
    const clock = new VirtualClock(1_700_000_000_000);
    const metrics = new Metrics({ defaultMetrics: false });
    const alerts = recordingAlertInputs();
    const scores = new FakeScores();
    const list = agents(clock);
    const { messaging } = createMessaging(
      {
        clock,
        ids: sequentialIds('c'),
        logger: pino({ level: 'silent' }),
        metrics,
        alerts,
        router: new MessageRouter({ random: seededRandom(1), scores }, { defaultStrategy: 'LEAST_LOADED' }),
        scores,
        agents: { routable: () => list },
        breakers: new CircuitBreakers({ clock }, { failureThreshold: 5, cooldownMs: 1000 }),
        agentIds: () => list.map((a) => a.agentId),
      },
      defaultFileConfig(),
      'LEAST_LOADED',
    );
    return { clock, metrics, alerts, messaging };
  }

  it("each delivery attempt feeds agentWork with the agent's wait; the routed message feeds coordinationTime with the daemon's own time once the reply is out", async () => {
    const { clock, metrics, alerts, messaging } = setup((c) => [agent(c, 'first', 30, 'error'), agent(c, 'second', 50)]);
    const frame = new FrameTiming(() => clock.now());
    clock.advance(2); // the daemon parses the request
    const r = await messaging.route({ message: 'hi' }, frame);
    expect(r.attempts.map((a) => [a.agentId, a.outcome])).to.deep.equal([
      ['first', 'error'],
      ['second', 'ok'],
    ]);
    expect(alerts.calls).to.deep.equal([
      ['agentWork', 0.03],
      ['agentWork', 0.05],
    ]);
    clock.advance(1); // and sends the reply
    frame.replied();
    expect(alerts.calls.slice(2)).to.deep.equal([['coordinationTime', 0.003]]);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'coordd_route_overhead_seconds_count')).to.equal(1);
    expect(sample(text, 'coordd_route_overhead_seconds_sum')).to.equal(0.003);
    expect(sample(text, 'coordd_route_attempts_total{outcome="error"}')).to.equal(1);
    expect(sample(text, 'coordd_route_messages_total{outcome="delivered"}')).to.equal(1);
  });
});
