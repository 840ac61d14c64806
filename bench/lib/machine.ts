import os from 'node:os';

/** What the numbers were measured on, for the results file. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  platform: string;
  release: string;
  arch: string;
  node: string;
  loadAverage: number[];
  date: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    node: process.version,
    loadAverage: os.loadavg(),
    date: new Date().toISOString(),
  };
}
