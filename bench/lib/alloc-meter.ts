import { Session } from 'node:inspector';
import v8 from 'node:v8';

/**
 * Bytes allocated on this isolate's V8 heap between start() and stop(): the growth of the used
 * heap plus everything the collections in between freed (v8.GCProfiler reports the heap before
 * and after each one). Counts what the code allocated, whatever the GC did meanwhile, so it is
 * the same from run to run where CPU timing is not. Memory outside the heap (Buffers' backing
 * stores) is reported separately as external.
 */
export class AllocMeter {
  private profiler: v8.GCProfiler | undefined;
  private usedAtStart = 0;
  private externalAtStart = 0;

  start(): void {
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    const s = v8.getHeapStatistics();
    this.usedAtStart = s.used_heap_size;
    this.externalAtStart = s.external_memory;
  }

  /**
   * Heap bytes allocated since start(); bytes young-generation GCs promoted to the old generation
   * (what survived long enough to be copied twice, and what makes the old generation grow towards
   * its next major GC); the collections counted; and the external memory's growth.
   */
  stop(): { allocatedBytes: number; promotedBytes: number; gcs: number; scavenges: number; externalGrowthBytes: number } {
    const s = v8.getHeapStatistics();
    const profile = this.profiler!.stop();
    let freed = 0;
    let promoted = 0;
    let scavenges = 0;
    for (const gc of profile?.statistics ?? []) {
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      if (gc.gcType !== 'Scavenge') continue;
      scavenges++;
      promoted += oldGeneration(gc.afterGC.heapSpaceStatistics) - oldGeneration(gc.beforeGC.heapSpaceStatistics);
    }
    return {
      allocatedBytes: s.used_heap_size - this.usedAtStart + freed,
      promotedBytes: promoted,
      gcs: profile?.statistics.length ?? 0,
      scavenges,
      externalGrowthBytes: s.external_memory - this.externalAtStart,
    };
  }
}

/** Used bytes of the spaces a scavenge promotes into. */
function oldGeneration(spaces: readonly { spaceName: string; spaceUsedSize: number }[]): number {
  let used = 0;
  for (const space of spaces) if (space.spaceName === 'old_space' || space.spaceName === 'large_object_space') used += space.spaceUsedSize;
  return used;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: ProfileNode[];
}

/**
 * Where allocation happens: V8's sampling heap profiler (one sample per `intervalBytes` on
 * average), summed by function. Statistical, for finding the big allocators, not for the totals.
 */
export class AllocationSites {
  private readonly session = new Session();

  async start(intervalBytes = 128): Promise<void> {
    this.session.connect();
    await this.post('HeapProfiler.enable');
    // Samples collected garbage too (the flags keep objects a GC already freed in the profile).
    await this.post('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** The top `n` functions by sampled bytes, with their share of the total. */
  async stop(n = 25): Promise<{ site: string; bytes: number; share: number }[]> {
    const { profile } = (await this.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
    this.session.disconnect();
    const bySite = new Map<string, number>();
    const walk = (node: ProfileNode): void => {
      if (node.selfSize > 0) {
        const f = node.callFrame;
        const file = f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
        const site = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}:${(f as { columnNumber?: number }).columnNumber ?? 0}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      }
      for (const c of node.children ?? []) walk(c);
    };
    walk(profile.head);
    const total = [...bySite.values()].reduce((a, b) => a + b, 0);
    return [...bySite.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([site, bytes]) => ({ site, bytes, share: bytes / total }));
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => this.session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  }
}
