/** Table and JSON output for the CLI: JSON goes to stdout alone, people get aligned columns. */

/** Pretty JSON, one document. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Columns padded to their widest cell; `headers` first. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines, keys aligned. */
export function keyValues(pairs: [string, string][]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}

/** "3s ago", "2m ago"… from a millisecond timestamp. */
export function ago(at: number | undefined, now: number): string {
  if (at === undefined) return '-';
  return `${duration(Math.max(0, now - at))} ago`;
}

/** 850ms, 12s, 3m, 2h, 4d. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86_400) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** A value in one cell: strings as they are, the rest as compact JSON, long ones cut. */
export function cell(value: unknown, max = 60): string {
  if (value === undefined) return '-';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
