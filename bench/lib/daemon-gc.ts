/** GC pauses of one kind (prom-client's nodejs_gc_duration_seconds: minor, major, incremental, weakcb). */
export interface GcKind {
  count: number;
  totalMs: number;
  /** Pauses longer than 10 ms (the histogram's 0.01 s bucket is the finest that tells). */
  over10Ms: number;
}

export type GcByKind = Record<string, GcKind>;

const LINE = /^nodejs_gc_duration_seconds_(sum|count|bucket)\{(?:le="([^"]+)",)?kind="(\w+)"\} (\S+)$/;

/**
 * The daemon's GC pauses so far, from its own /metrics (prom-client's default GC histogram, fed by
 * perf_hooks), or undefined when the endpoint does not answer. Scraped outside measured windows:
 * a scrape costs the daemon a millisecond or two.
 */
export async function daemonGc(port: number): Promise<GcByKind | undefined> {
  let text: string;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined;
  }
  const out: GcByKind = {};
  const upTo10Ms: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, field, le, kind, value] = m;
    const k = (out[kind!] ??= { count: 0, totalMs: 0, over10Ms: 0 });
    if (field === 'sum') k.totalMs = Number(value) * 1000;
    else if (field === 'count') k.count = Number(value);
    else if (le === '0.01') upTo10Ms[kind!] = Number(value);
  }
  for (const [kind, k] of Object.entries(out)) k.over10Ms = k.count - (upTo10Ms[kind] ?? k.count);
  return out;
}

/** What happened between two readings. */
export function gcBetween(before: GcByKind, after: GcByKind): GcByKind {
  const out: GcByKind = {};
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { count: 0, totalMs: 0, over10Ms: 0 };
    out[kind] = { count: a.count - b.count, totalMs: a.totalMs - b.totalMs, over10Ms: a.over10Ms - b.over10Ms };
  }
  return out;
}
