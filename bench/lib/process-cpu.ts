import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SEC = 100;

/** CPU seconds (user + system, all threads) a process has used, or undefined where /proc is missing. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in bytes, or undefined where /proc is missing. */
export function processRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine has spent busy (all cores; steal included), or undefined. */
export function machineBusySeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!;
    return busy / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/**
 * CPU used between two instants, in percent of one core: by one process, and by the whole
 * machine (so that load from anything else running at the time shows up next to the numbers).
 */
export class CpuWindow {
  private startCpu: number | undefined;
  private startMachine: number | undefined;
  private startWall = 0;
  percent: number | undefined;
  machinePercent: number | undefined;

  constructor(private readonly pid: number | undefined) {}

  begin(): void {
    this.startCpu = processCpuSeconds(this.pid);
    this.startMachine = machineBusySeconds();
    this.startWall = performance.now();
  }

  end(): void {
    const seconds = (performance.now() - this.startWall) / 1000;
    const cpu = processCpuSeconds(this.pid);
    const machine = machineBusySeconds();
    if (cpu !== undefined && this.startCpu !== undefined) this.percent = ((cpu - this.startCpu) / seconds) * 100;
    if (machine !== undefined && this.startMachine !== undefined) this.machinePercent = ((machine - this.startMachine) / seconds) * 100;
  }
}
