import type { z } from 'zod';
import type { HealthReport } from '../schemas/agent.js';

export type Health = z.infer<typeof HealthReport>;

/** Samples this process's health for heartbeats: resident memory and CPU use since the last sample. */
export class HealthSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  sample(): Health {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const cpuPercent = elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0;
    return { memoryMb: round1(process.memoryUsage.rss() / 2 ** 20), cpuPercent: round1(cpuPercent) };
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
