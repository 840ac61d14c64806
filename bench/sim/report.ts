import type { StrategySummary, VariantSummary } from './aggregate.js';
import type { Estimate } from './stats.js';
import type { TargetSummary } from './targets.js';

const sec = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');
const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
const ci = (e: Estimate, f: (x: number) => string): string => (Number.isFinite(e.ci) ? `${f(e.mean)} ±${f(e.ci)}` : f(e.mean));

const COLUMNS: { title: string; width: number; cell: (s: StrategySummary) => string }[] = [
  { title: 'p50 s (±95%)', width: 14, cell: (s) => ci(s.metrics!.p50, sec) },
  { title: 'p99 s (±95%)', width: 14, cell: (s) => ci(s.metrics!.p99, sec) },
  { title: 'p99.9 s (±95%)', width: 15, cell: (s) => ci(s.metrics!.p999, sec) },
  { title: 'mean s (±95%)', width: 14, cell: (s) => ci(s.metrics!.mean, sec) },
  { title: 'fail%', width: 6, cell: (s) => pct(s.metrics!.failureRate.mean) },
  { title: 'tmo%', width: 5, cell: (s) => pct(s.metrics!.timeoutRate.mean) },
  { title: 'SLO%', width: 6, cell: (s) => pct(s.metrics!.slo.mean) },
  { title: 'acc% (±95%)', width: 12, cell: (s) => ci(s.metrics!.accuracy, pct) },
  { title: 'acc2%', width: 6, cell: (s) => pct(s.metrics!.contestedAccuracy.mean) },
  { title: 'util σ', width: 6, cell: (s) => s.metrics!.utilizationSpread.mean.toFixed(3) },
  { title: 'cost', width: 5, cell: (s) => s.metrics!.costPerTask.mean.toFixed(2) },
  { title: 'held% (±95%)', width: 12, cell: (s) => ci(s.metrics!.heldFraction, pct) },
  { title: 'hold s (±95%)', width: 14, cell: (s) => ci(s.metrics!.holdMeanMs, sec) },
];

/** The results table: one block per scenario variant, one row per strategy. */
export function resultsTable(variants: readonly VariantSummary[]): string {
  const lines: string[] = [];
  const head = 'strategy'.padEnd(20) + COLUMNS.map((c) => c.title.padStart(c.width + 1)).join('');
  let scenario = -1;
  for (const v of variants) {
    if (v.scenario !== scenario) {
      scenario = v.scenario;
      lines.push('', `== Scenario ${v.scenario}: ${v.title}`);
    }
    const runs = v.strategies.find((s) => s.runs > 0)?.runs ?? 0;
    lines.push(`-- ${v.variant.label} (${runs} seeds)`, head);
    for (const s of v.strategies) {
      if (s.skipped !== undefined || !s.metrics) {
        lines.push(`${s.strategy.padEnd(20)} skipped: ${s.skipped}`);
        continue;
      }
      lines.push(s.strategy.padEnd(20) + COLUMNS.map((c) => c.cell(s).padStart(c.width + 1)).join(''));
    }
  }
  lines.push(
    '',
    'p50/p99/p99.9/mean: end-to-end latency (submit → COMPLETED) of completed tasks after warm-up, mean over seeds.',
    'fail%: tasks ending FAILED/CANCELLED; tmo%: attempts timed out; SLO%: tasks completed within the deadline;',
    'acc%: decisions within 10% of the best true expected completion (acc2%: among decisions with >= 2 candidates);',
    'util σ: std dev of per-agent utilization; cost: attempt cost per completed task;',
    'held%: tasks held back for a busy agent at least once; hold s: mean total hold of those tasks. ±: 95% interval over seeds.',
  );
  return lines.join('\n');
}

/** Overload prediction in scenario 5: predictOverload against the naive rule, for one strategy's runs. */
export function predictionTable(variants: readonly VariantSummary[], strategy: string): string {
  const lines: string[] = [];
  for (const v of variants) {
    const pred = v.strategies.find((s) => s.strategy === strategy)?.prediction;
    if (!pred) continue;
    if (lines.length === 0) {
      lines.push('', `== Overload prediction (scenario 5, ${strategy} runs; truth: true load >= threshold at t + h)`);
      lines.push(
        '(predictOverload: the pool forecast; signals: its load-report trend; naive: latest report >= threshold; exact: true current load >= threshold)',
      );
      lines.push(
        'variant'.padEnd(16) +
          'h'.padStart(4) +
          '  predictOverload P / R / F1'.padEnd(32) +
          '  signals P / R / F1'.padEnd(32) +
          '  naive P / R / F1'.padEnd(32) +
          '  exact P / R / F1'.padEnd(32) +
          '  base rate  always-F1',
      );
    }
    for (const h of pred) {
      const rule = (r: typeof h.predictor): string => `${r.precision.mean.toFixed(2)} / ${r.recall.mean.toFixed(2)} / ${ci(r.f1, (x) => x.toFixed(3))}`;
      lines.push(
        v.variant.label.padEnd(16) +
          `${h.horizonSeconds}s`.padStart(4) +
          [h.predictor, h.signals, h.naive, h.exactNaive].map((r) => `  ${rule(r)}`.padEnd(32)).join('') +
          `  ${pct(h.baseRate.mean).padStart(8)}%  ${h.alwaysF1.mean.toFixed(3).padStart(9)}`,
      );
    }
  }
  return lines.join('\n');
}

/** Every target, met or not, with the numbers behind each check. */
export function targetsTable(targets: readonly TargetSummary[]): string {
  const lines = ['', '== Targets (issues 4 and 14)'];
  for (const t of targets) {
    lines.push(`[${t.status.toUpperCase()}] ${t.target}`);
    for (const c of t.checks) lines.push(`    ${c.status.padEnd(7)} ${c.variant.padEnd(12)} ${c.detail}`);
  }
  return lines.join('\n');
}
