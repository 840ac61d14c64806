import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Wall time the summary covers (the window, when one was given). */
  totalMs: number;
  /** Share of that time the daemon's thread was idle. */
  idlePercent: number;
  /** Functions by self time. */
  functions: SelfTime[];
  /** The same, summed by where the code lives (a package, node internals, coordd's own files). */
  areas: SelfTime[];
}

/** Shorten a script URL to what says where the code lives. */
function area(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/(.+)$/.exec(url);
  return own ? `coordd ${own[1]}` : url.replace(/^file:\/\//, '');
}

function location(url: string, line: number): string {
  const own = /\/dist\/(.+)$/.exec(url);
  const pkg = /node_modules\/(.+)$/.exec(url);
  const file = own?.[1] ?? pkg?.[1] ?? (url === '' ? '' : url.replace(/^file:\/\//, ''));
  return file === '' ? '' : `${file}:${line + 1}`;
}

/** Monotonic time in µs, the clock V8 stamps profile samples with (CLOCK_MONOTONIC, as process.hrtime). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and per area of one profile, largest first; with `window` (µs of
 * monotonicUs(), which other processes on the machine share), only the samples taken inside it.
 */
export function summarizeProfile(path: string, top = 20, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const totalUs = window ? Math.min(window.toUs, profile.endTime) - Math.max(window.fromUs, profile.startTime) : profile.endTime - profile.startTime;
  let idleUs = 0;
  for (const [id, us] of selfUs) if (byNode.get(id)!.callFrame.functionName === '(idle)') idleUs += us;
  const fns = new Map<string, SelfTime>();
  const areas = new Map<string, SelfTime>();
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)!.callFrame;
    const name = frame.functionName || '(anonymous)';
    const where = location(frame.url, frame.lineNumber);
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { name, where, ms: 0, percent: 0 };
    f.ms += us / 1000;
    fns.set(key, f);
    const a = area(frame.url);
    const ar = areas.get(a) ?? { name: a, where: '', ms: 0, percent: 0 };
    ar.ms += us / 1000;
    areas.set(a, ar);
  }
  const finish = (list: SelfTime[]): SelfTime[] =>
    list
      .map((x) => ({ ...x, ms: Math.round(x.ms * 10) / 10, percent: Math.round((x.ms / (totalUs / 1000)) * 1000) / 10 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return {
    totalMs: totalUs / 1000,
    idlePercent: Math.round((idleUs / totalUs) * 1000) / 10,
    functions: finish([...fns.values()]),
    areas: finish([...areas.values()]),
  };
}
