import { AppError } from '../errors.js';
import type { PoolService } from '../pool/pool-service.js';
import type { ScalingTarget } from '../pool/scaling/index.js';
import type { ScalingStore } from '../pool/scaling/scaling-store.js';
import type { Spawner, SpawnedWorker } from './spawner.js';

/**
 * Spawned workers as the pool sees them: start them, drain-and-stop the least busy or named
 * ones, stop them all. pool.spawn / pool.despawn / pool.shutdown and the autoscaler act through it.
 */
export class WorkerControl {
  constructor(
    private readonly pool: PoolService,
    private readonly spawner: Spawner,
    /** Where the workers an operator asked for are remembered, so a restart starts them again. */
    private readonly spawnCounts?: Pick<ScalingStore, 'setSpawnCount'>,
  ) {}

  /** Keep what the operator asked for: the workers of `template` running now. */
  private remember(template: string): void {
    this.spawnCounts?.setSpawnCount(template, this.spawner.list().filter((w) => w.template === template).length);
  }

  /** The templates pool.spawn may start, with their running workers. */
  templates(): ReturnType<Spawner['templates']> {
    return this.spawner.templates();
  }

  /** Start `count` workers from `template`. */
  async spawn(count: number, template = 'echo'): Promise<{ template: string; agentIds: string[]; pids: number[] }> {
    const workers = await this.spawner.spawn(count, template);
    this.remember(template);
    return { template, agentIds: workers.map((w) => w.agentId!), pids: workers.map((w) => w.proc.pid!) };
  }

  /**
   * Drain and stop the named spawned agents, or the `count` least busy ones; agents named but not
   * spawned here are listed apart. UNKNOWN_AGENT when a count finds no spawned agent.
   */
  async despawn(
    which: { agentIds: readonly string[] } | { count: number },
    drainMs = this.pool.options.workerDrainTimeoutMs,
  ): Promise<{ stopped: string[]; notSpawned: string[] }> {
    const chosen: SpawnedWorker[] = [];
    const notSpawned: string[] = [];
    if ('agentIds' in which) {
      for (const id of which.agentIds) {
        const w = this.spawner.byAgent(id);
        if (w) chosen.push(w);
        else notSpawned.push(id);
      }
    } else {
      chosen.push(...this.leastBusy(which.count));
      if (chosen.length === 0) throw new AppError('UNKNOWN_AGENT', 'no spawned agents to stop');
    }
    await this.drainAndStop(chosen, drainMs);
    for (const template of new Set(chosen.map((w) => w.template))) this.remember(template);
    return { stopped: chosen.map((w) => w.agentId!), notSpawned };
  }

  /** Drain the pool (bounded by `drainMs`), then stop every worker process. */
  async shutdown(drainMs: number): Promise<Awaited<ReturnType<PoolService['shutdown']>> & { stoppedWorkers: number }> {
    const result = await this.pool.shutdown(drainMs);
    const stoppedWorkers = await this.spawner.stopAll();
    return { ...result, stoppedWorkers };
  }

  /** The pool as the autoscaler sees it: agent counts and capacity; spawn up, drain-and-stop down. */
  scalingTarget(): ScalingTarget {
    return {
      snapshot: () => {
        const s = this.pool.snapshot();
        return { current: s.agents.total, usedCapacity: s.capacity.used, totalCapacity: s.capacity.total, queueDepth: s.queue.depth };
      },
      scaleUp: async (count, template) => (await this.spawner.spawn(count, template)).length,
      scaleDown: async (count) => {
        const workers = this.leastBusy(count);
        await this.drainAndStop(workers, this.pool.options.workerDrainTimeoutMs);
        return workers.length;
      },
      hasTemplate: (template) => this.spawner.hasTemplate(template),
    };
  }

  /** Up to `count` registered spawned workers, least busy first (the cheapest to stop). */
  private leastBusy(count: number): SpawnedWorker[] {
    const busy = (w: SpawnedWorker): number => this.pool.agents.get(w.agentId ?? '')?.inFlight.size ?? 0;
    return this.spawner
      .list()
      .filter((w) => w.agentId !== undefined && !w.stopping)
      .sort((a, b) => busy(a) - busy(b))
      .slice(0, count);
  }

  /** Drain each worker's agent (no new work; running tasks finish within `drainMs`), then stop its process. */
  private async drainAndStop(workers: readonly SpawnedWorker[], drainMs: number): Promise<void> {
    await Promise.all(
      workers.map(async (w) => {
        await this.pool.drain(w.agentId!, drainMs);
        await this.spawner.stop(w);
      }),
    );
  }
}
