import { AgentCallError } from '../../src/agent-call-error.js';
import type { AgentChannel } from '../../src/pool/agent-channel.js';
import { MemoryTaskStore } from '../../src/pool/memory-task-store.js';
import type { AgentGate } from '../../src/pool/agent-gate.js';
import { PoolService } from '../../src/pool/pool-service.js';
import type { PoolOptions } from '../../src/pool/pool-options.js';
import type { PoolObserver } from '../../src/pool/pool-observer.js';
import { sequentialIds } from '../../src/ids.js';
import { seededRandom } from '../../src/random.js';
import { AgentRouter } from '../../src/routing/agent-router.js';
import type { TaskRunParams } from '../../src/schemas/task.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

/** One task.run the fake agent received, with controls for its outcome. */
export interface RunCall {
  params: TaskRunParams;
  complete(result?: unknown): void;
  fail(message?: string, data?: unknown): void;
  disconnect(): void;
}

/** An agent connection the test drives by hand. */
export class FakeAgent implements AgentChannel {
  readonly calls: RunCall[] = [];
  readonly notifications: { method: string; params: any }[] = [];
  closed: string | undefined;

  constructor(readonly agentId: string) {}

  runTask(params: TaskRunParams): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        params,
        complete: (result = { ok: params.taskId }) => resolve(result),
        fail: (message = 'boom', data) => reject(new AgentCallError('remote', message, { code: -32000, message, data })),
        disconnect: () => reject(new AgentCallError('disconnected', 'connection closed')),
      });
    });
  }

  request(method: string): Promise<unknown> {
    return Promise.reject(new AgentCallError('remote', `${method} is not used by pool tests`));
  }

  notify(method: string, params: object): void {
    this.notifications.push({ method, params });
  }

  close(reason: string): void {
    this.closed = reason;
  }

  /** The latest call for a task. */
  call(taskId: string): RunCall {
    const c = [...this.calls].reverse().find((x) => x.params.taskId === taskId);
    if (!c) throw new Error(`${this.agentId} never got ${taskId}`);
    return c;
  }
}

/** A pool on a virtual clock with a seeded router, and helpers to add fake agents. */
export function poolHarness(options: Partial<PoolOptions> = {}, seed = 1, makeGate?: (clock: VirtualClock) => AgentGate, observer?: PoolObserver) {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const scores = { now: () => clock.now(), routingScore: () => 0.5, hasLiveSignal: () => false };
  const router = new AgentRouter({ random, scores }, { enableRep: true, defaultStrategy: 'LEAST_LOADED' });
  const store = new MemoryTaskStore({ clock }, { retentionMs: 3_600_000, retentionCount: 100_000 });
  const gate = makeGate?.(clock);
  const pool = new PoolService(
    { clock, ids: sequentialIds('t'), random, router, store, gate, observer },
    { retryBaseDelayMs: 100, retryMaxDelayMs: 1000, ...options },
  );
  let session = 0;
  const agents = new Map<string, FakeAgent>();
  const addAgent = (agentId: string, capacity = 1, capabilities: string[] = [], contextWindowId?: string): FakeAgent => {
    const channel = new FakeAgent(agentId);
    pool.register({ agentId, capacity, capabilities, channel, sessionId: `s${++session}`, contextWindowId });
    agents.set(agentId, channel);
    return channel;
  };
  /** Let promise callbacks (agent outcomes) run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, pool, store, router, agents, addAgent, settle, sessionOf: (agentId: string) => pool.agents.get(agentId)!.sessionId };
}
