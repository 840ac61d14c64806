import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** Prometheus' own series the rules may use (`up` of the scrape target); every other name must be a metric coordd exports. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(['up']);

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/**
 * The metric names a PromQL expression reads: string literals, label matchers, ranges and
 * subquery steps, grouping clauses, Grafana variables, numbers and durations are removed, and
 * what is left that is neither a function (followed by "("), nor a keyword, is a metric name.
 * Grafana's `label_values(metric, label)` names its metric too.
 */
export function metricNames(expr: string): string[] {
  const fromLabelValues = [...expr.matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/g)].map((m) => m[1]!);
  const stripped = expr
    .replace(/label_values\([^)]*\)/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\b\d+(?:ms|s|m|h|d|w|y)\b/g, ' ')
    .replace(/(?<![\w:])(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/gi, ' ');
  const names = [...stripped.matchAll(/([a-zA-Z_:][\w:]*)(\s*\()?/g)].filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase())).map((m) => m[1]!);
  return [...new Set([...fromLabelValues, ...names])].sort();
}

/** Range and subquery selectors in an expression, in seconds: `[5m]` → {range: 300}, `[5m:10s]` → {range: 300, step: 10}. */
export function ranges(expr: string): { range: number; step?: number }[] {
  const seconds = (d: string): number => {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
    if (!m) throw new Error(`not a duration: ${d}`);
    return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  };
  return [...expr.matchAll(/\[(\w+)(?::(\w+))?\]/g)].map((m) =>
    m[2] === undefined ? { range: seconds(m[1]!) } : { range: seconds(m[1]!), step: seconds(m[2]) },
  );
}

/** `# TYPE name type` lines of a Prometheus text exposition. */
export function exportedTypes(exposition: string): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Names not exported: a name is exported when the exposition has a TYPE line for it, or it is a
 * histogram's or summary's `_bucket`/`_sum`/`_count` series of an exported one.
 */
export function missingMetrics(names: Iterable<string>, exposition: string): string[] {
  const types = exportedTypes(exposition);
  const exported = (name: string): boolean => {
    if (types.has(name)) return true;
    const m = /^(.*)_(bucket|sum|count)$/.exec(name);
    if (!m) return false;
    const type = types.get(m[1]!);
    return type === 'histogram' || (type === 'summary' && m[2] !== 'bucket');
  };
  return [...new Set(names)].filter((n) => !exported(n)).sort();
}

export interface PromRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface PromRuleGroup {
  name: string;
  interval?: string;
  rules: PromRule[];
}

const DEPLOY = new URL('../../deploy/', import.meta.url);

/** deploy/prometheus-rules.yml, parsed. */
export function loadPrometheusRules(): { groups: PromRuleGroup[] } {
  return parseYaml(readFileSync(new URL('prometheus-rules.yml', DEPLOY), 'utf8')) as { groups: PromRuleGroup[] };
}

/** deploy/grafana/coordd-dashboard.json, parsed. */
export function loadDashboard(): any {
  return JSON.parse(readFileSync(new URL('grafana/coordd-dashboard.json', DEPLOY), 'utf8'));
}

/** Every PromQL expression of the dashboard: panel targets and query variables. */
export function dashboardExprs(dashboard: any): string[] {
  const panels = (list: any[]): any[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
  const targets = panels(dashboard.panels ?? []).flatMap((p) => (p.targets ?? []).map((t: any) => t.expr as string));
  const variables = (dashboard.templating?.list ?? [])
    .filter((v: any) => v.type === 'query')
    .map((v: any) => (typeof v.query === 'string' ? v.query : v.query.query) as string);
  return [...targets, ...variables];
}

/** Metric names used by the rules file and the dashboard, each with where it is used. */
export function deployedMetricNames(): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const add = (expr: string, where: string) => {
    for (const name of metricNames(expr)) uses.set(name, [...(uses.get(name) ?? []), where]);
  };
  for (const g of loadPrometheusRules().groups) for (const r of g.rules) add(r.expr, `prometheus-rules.yml ${r.alert ?? r.record}`);
  for (const e of dashboardExprs(loadDashboard())) add(e, 'coordd-dashboard.json');
  return uses;
}
