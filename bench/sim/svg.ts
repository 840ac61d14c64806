import type { VariantSummary } from './aggregate.js';
import { CDF_POINTS } from './run.js';
import type { BenchStrategy } from './strategies.js';

const COLORS: Record<BenchStrategy, string> = {
  ROUND_ROBIN: '#8c8c8c',
  RANDOM: '#bcbd22',
  LEAST_LOADED: '#1f77b4',
  P2C: '#17becf',
  PEAK_EWMA: '#9467bd',
  RIPPLE_COORDINATION: '#d62728',
  ORACLE: '#000000',
  ORACLE_WAIT: '#ff7f0e',
  ORACLE_WAIT_BLIND: '#8c564b',
};
const SHORT: Record<BenchStrategy, string> = {
  ROUND_ROBIN: 'RR',
  RANDOM: 'RAND',
  LEAST_LOADED: 'LL',
  P2C: 'P2C',
  PEAK_EWMA: 'PEWMA',
  RIPPLE_COORDINATION: 'RIPPLE',
  ORACLE: 'ORACLE',
  ORACLE_WAIT: 'OR-WAIT',
  ORACLE_WAIT_BLIND: 'OR-BLIND',
};

const WIDTH = 960;
const ROW = 300;
const TOP = 70;
const CDF = { x: 70, w: 520, h: 220 };
const BARS = { x: 660, w: 270, h: 220 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (x: number): string => x.toFixed(1);

/**
 * One chart per scenario: for each variant, the latency CDF of every strategy (log time axis) and
 * a bar chart of decision accuracy with 95% intervals. Plain SVG, no script, no external fonts.
 */
export function scenarioChart(variants: readonly VariantSummary[]): string {
  const first = variants[0]!;
  const height = TOP + variants.length * ROW + 10;
  const ran = first.strategies.filter((s) => s.runs > 0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">Scenario ${first.scenario}: ${esc(first.title)}</text>`,
  ];
  // Legend.
  let x = 70;
  ran.forEach((s) => {
    out.push(
      `<line x1="${x}" y1="40" x2="${x + 22}" y2="40" stroke="${COLORS[s.strategy]}" stroke-width="2.5"${s.strategy === 'ORACLE' ? ' stroke-dasharray="5,3"' : ''}/>`,
    );
    out.push(`<text x="${x + 27}" y="44">${s.strategy}</text>`);
    x += 45 + s.strategy.length * 7;
  });
  variants.forEach((v, row) => out.push(...variantRow(v, TOP + row * ROW)));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function variantRow(v: VariantSummary, top: number): string[] {
  const out: string[] = [];
  const ran = v.strategies.filter((s) => s.runs > 0 && s.cdf && s.cdf.length > 0);
  const y0 = top + 20;

  // ---- latency CDF -------------------------------------------------------------------------
  const all = ran.flatMap((s) => s.cdf!).filter((x) => Number.isFinite(x) && x > 0);
  const lo = Math.max(10, Math.min(...all));
  const hi = Math.max(lo * 10, Math.max(...all));
  const lx = (ms: number): number => CDF.x + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * CDF.w;
  const ly = (p: number): number => y0 + CDF.h - p * CDF.h;
  out.push(`<text x="${CDF.x}" y="${top + 10}" font-weight="bold">${esc(v.variant.label)}: latency CDF (end to end, completed tasks)</text>`);
  out.push(`<rect x="${CDF.x}" y="${y0}" width="${CDF.w}" height="${CDF.h}" fill="none" stroke="#999"/>`);
  for (const p of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    out.push(`<line x1="${CDF.x}" y1="${f(ly(p))}" x2="${CDF.x + CDF.w}" y2="${f(ly(p))}" stroke="#eee"/>`);
    out.push(`<text x="${CDF.x - 5}" y="${f(ly(p) + 4)}" text-anchor="end">${p}</text>`);
  }
  for (const s of [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]) {
    const ms = s * 1000;
    if (ms < lo || ms > hi) continue;
    out.push(`<line x1="${f(lx(ms))}" y1="${y0}" x2="${f(lx(ms))}" y2="${y0 + CDF.h}" stroke="#eee"/>`);
    out.push(`<text x="${f(lx(ms))}" y="${y0 + CDF.h + 14}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<text x="${CDF.x + CDF.w / 2}" y="${y0 + CDF.h + 30}" text-anchor="middle">latency, s (log scale)</text>`);
  for (const s of ran) {
    const points = s.cdf!.map((ms, i) => `${f(lx(ms))},${f(ly(CDF_POINTS[i]!))}`).join(' ');
    const dash = s.strategy === 'ORACLE' ? ' stroke-dasharray="5,3"' : '';
    out.push(`<polyline points="${points}" fill="none" stroke="${COLORS[s.strategy]}" stroke-width="1.8"${dash}/>`);
  }

  // ---- decision accuracy -------------------------------------------------------------------
  const by = (p: number): number => y0 + BARS.h - p * BARS.h;
  out.push(`<text x="${BARS.x}" y="${top + 10}" font-weight="bold">decision accuracy (±95%)</text>`);
  out.push(`<rect x="${BARS.x}" y="${y0}" width="${BARS.w}" height="${BARS.h}" fill="none" stroke="#999"/>`);
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${BARS.x}" y1="${f(by(p))}" x2="${BARS.x + BARS.w}" y2="${f(by(p))}" stroke="#eee"/>`);
    out.push(`<text x="${BARS.x - 5}" y="${f(by(p) + 4)}" text-anchor="end">${p * 100}%</text>`);
  }
  const slot = BARS.w / Math.max(1, v.strategies.length);
  v.strategies.forEach((s, i) => {
    const cx = BARS.x + slot * (i + 0.5);
    out.push(`<text x="${f(cx)}" y="${y0 + BARS.h + 14}" text-anchor="middle" font-size="9">${SHORT[s.strategy]}</text>`);
    const acc = s.metrics?.accuracy;
    if (s.runs === 0 || !acc) {
      out.push(`<text x="${f(cx)}" y="${y0 + BARS.h - 6}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`);
      return;
    }
    out.push(
      `<rect x="${f(cx - slot * 0.35)}" y="${f(by(acc.mean))}" width="${f(slot * 0.7)}" height="${f(by(0) - by(acc.mean))}" fill="${COLORS[s.strategy]}" opacity="0.85"/>`,
    );
    if (Number.isFinite(acc.ci)) {
      const top95 = Math.min(1, acc.mean + acc.ci);
      const bottom95 = Math.max(0, acc.mean - acc.ci);
      out.push(`<line x1="${f(cx)}" y1="${f(by(top95))}" x2="${f(cx)}" y2="${f(by(bottom95))}" stroke="#333"/>`);
    }
    out.push(`<text x="${f(cx)}" y="${f(by(acc.mean) - 4)}" text-anchor="middle" font-size="9">${(acc.mean * 100).toFixed(0)}</text>`);
  });
  return out;
}
