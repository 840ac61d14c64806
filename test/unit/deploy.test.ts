import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultFileConfig } from '../../src/config-file.js';
import { Metrics } from '../../src/observability/metrics.js';
import { ALERT_NAMES, type AlertName } from '../../src/schemas/alerts.js';
import {
  dashboardExprs,
  exportedTypes,
  loadDashboard,
  loadPrometheusRules,
  metricNames,
  missingMetrics,
  PROMETHEUS_SERIES,
  ranges,
  type PromRule,
} from '../support/promql-names.js';

/** The daemon's alert names and their Prometheus rules: which way each compares, against which setting. */
const RULE_FOR: Record<AlertName, { rule: string; op: '<' | '>'; setting: keyof ReturnType<typeof defaultFileConfig>['alerts'] }> = {
  utilization_low: { rule: 'CoorddUtilizationLow', op: '<', setting: 'utilizationMin' },
  utilization_high: { rule: 'CoorddUtilizationHigh', op: '>', setting: 'utilizationMax' },
  coordination_overhead_high: { rule: 'CoorddCoordinationOverheadHigh', op: '>', setting: 'overheadMax' },
  completion_rate_low: { rule: 'CoorddCompletionRateLow', op: '<', setting: 'completionRateMin' },
  conflict_resolution_slow: { rule: 'CoorddConflictResolutionSlow', op: '>', setting: 'conflictResolutionMaxSeconds' },
};

/** The "task submitted recently" look-back of the utilization rules (the daemon uses "since its last evaluation"). */
const RECENT_WORK_SECONDS = 60;

const defaults = defaultFileConfig().alerts;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function allRules(): PromRule[] {
  return loadPrometheusRules().groups.flatMap((g) => g.rules);
}

function ruleNamed(name: string): PromRule {
  const rule = allRules().find((r) => r.alert === name);
  if (!rule) throw new Error(`no rule ${name} in deploy/prometheus-rules.yml`);
  return rule;
}

describe('PromQL metric name extraction (test support)', () => {
  it('finds metric names and nothing else', () => {
    expect(
      metricNames('histogram_quantile(0.95, sum without (outcome) (rate(coordd_resource_wait_seconds_bucket{instance=~"$instance", le!="x"}[5m]))) > 5'),
    ).to.deep.equal(['coordd_resource_wait_seconds_bucket']);
    expect(
      metricNames(
        'avg_over_time((a_metric and (sum by (state) (b_metric) > 0) or c_metric)[5m:10s]) < 0.6 and on (job) count_over_time(d:recorded[1h]) >= 2e1',
      ),
    ).to.deep.equal(['a_metric', 'b_metric', 'c_metric', 'd:recorded']);
    expect(metricNames('1 - (x_total{state="FAILED"} / ignoring(state) group_left y_total offset 5m) < bool 0.95')).to.deep.equal(['x_total', 'y_total']);
    expect(metricNames('nodejs_eventloop_lag_p99_seconds{instance=~"${instance}"} * $__interval_ms')).to.deep.equal(['nodejs_eventloop_lag_p99_seconds']);
    expect(metricNames('label_values(coordd_ws_connections, instance)')).to.deep.equal(['coordd_ws_connections']);
  });

  it('reports a misspelt or unknown metric, and accepts histogram series of exported histograms', () => {
    const exposition = [
      '# HELP coordd_pool_utilization x',
      '# TYPE coordd_pool_utilization gauge',
      '# TYPE coordd_task_run_seconds histogram',
      '# TYPE coordd_tasks_total counter',
    ].join('\n');
    expect(missingMetrics(metricNames('coordd_pool_utilisation > 0.95'), exposition)).to.deep.equal(['coordd_pool_utilisation']);
    expect(missingMetrics(['coordd_task_run_seconds_bucket', 'coordd_task_run_seconds_count', 'coordd_pool_utilization'], exposition)).to.deep.equal([]);
    expect(missingMetrics(['coordd_tasks_total_count', 'coordd_tasks'], exposition)).to.deep.equal(['coordd_tasks', 'coordd_tasks_total_count']);
  });

  it('reads ranges and subquery steps in seconds', () => {
    expect(ranges('avg_over_time(x[5m:10s]) and increase(y[1m]) and rate(z[300s])')).to.deep.equal([{ range: 300, step: 10 }, { range: 60 }, { range: 300 }]);
  });
});

describe('deploy/prometheus-rules.yml', () => {
  it('is a groups: file whose every rule has alert, expr, for, labels.severity and annotations summary and description', () => {
    const { groups } = loadPrometheusRules();
    expect(groups).to.be.an('array').that.is.not.empty;
    for (const g of groups) {
      expect(g.name, 'group name').to.be.a('string');
      for (const r of g.rules) {
        expect(r.alert, JSON.stringify(r)).to.match(/^Coordd[A-Z]\w+$/);
        expect(r.expr, r.alert).to.be.a('string').that.is.not.empty;
        expect(r.for, r.alert).to.match(/^\d+[smh]$/);
        expect(r.labels?.severity, r.alert).to.be.oneOf(['info', 'warning', 'critical']);
        expect(r.annotations?.summary, r.alert).to.be.a('string').that.is.not.empty;
        expect(r.annotations?.description, r.alert).to.be.a('string').that.is.not.empty;
      }
    }
  });

  it('has one rule per daemon alert, labelled with the alert name', () => {
    expect(Object.keys(RULE_FOR)).to.have.members([...ALERT_NAMES]);
    for (const name of ALERT_NAMES) expect(ruleNamed(RULE_FOR[name].rule).labels?.coordd_alert, name).to.equal(name);
    const labelled = allRules().flatMap((r) => (r.labels?.coordd_alert ? [r.labels.coordd_alert] : []));
    expect(labelled.sort()).to.deep.equal([...ALERT_NAMES].sort());
  });

  it('uses the default thresholds, window, evaluation interval and minimum samples of config.file.alerts', () => {
    const perf = loadPrometheusRules().groups.find((g) => g.rules.some((r) => r.labels?.coordd_alert));
    expect(perf?.interval, 'group interval = evaluationIntervalSeconds').to.equal(`${defaults.evaluationIntervalSeconds}s`);
    for (const name of ALERT_NAMES) {
      const { rule, op, setting } = RULE_FOR[name];
      const expr = ruleNamed(rule).expr;
      expect(expr, `${rule}: ${op} ${defaults[setting]}`).to.match(new RegExp(`\\)\\s*${escape(op)}\\s*${escape(String(defaults[setting]))}\\s*\\n\\s*and\\b`));
      expect(expr, `${rule}: >= minSamples`).to.match(new RegExp(`>=\\s*${defaults.minSamples}\\s*$`));
      for (const r of ranges(expr)) {
        if (r.range === RECENT_WORK_SECONDS && name.startsWith('utilization_')) continue;
        expect(r.range, `${rule}: window`).to.equal(defaults.windowSeconds);
        if (r.step !== undefined) expect(r.step, `${rule}: subquery step`).to.equal(defaults.evaluationIntervalSeconds);
      }
    }
  });

  it('uses only metrics the daemon exports (or Prometheus` own series)', async () => {
    const exposition = await new Metrics().registry.metrics();
    const names = allRules().flatMap((r) => metricNames(r.expr));
    expect(
      missingMetrics(
        names.filter((n) => !PROMETHEUS_SERIES.has(n)),
        exposition,
      ),
    ).to.deep.equal([]);
    expect(names.filter((n) => PROMETHEUS_SERIES.has(n))).to.deep.equal(['up']);
  });

  it('passes promtool check and its unit tests (deploy/prometheus-rules.test.yml) when promtool is installed', function () {
    const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url));
    if (spawnSync('promtool', ['--version']).error) this.skip();
    for (const args of [
      ['check', 'rules', 'prometheus-rules.yml'],
      ['test', 'rules', 'prometheus-rules.test.yml'],
    ]) {
      const run = spawnSync('promtool', args, { cwd: deploy, encoding: 'utf8' });
      expect(run.status, `promtool ${args.join(' ')}\n${run.stdout}${run.stderr}`).to.equal(0);
    }
  });
});

describe('deploy/grafana/coordd-dashboard.json', () => {
  const dashboard = loadDashboard();
  const panels: any[] = dashboard.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);

  it('is an importable dashboard with a ${DS_PROMETHEUS} input that every panel and query uses', () => {
    expect(dashboard.schemaVersion).to.be.within(36, 41);
    expect(dashboard.uid).to.be.a('string');
    expect(dashboard.__inputs).to.deep.include({
      name: 'DS_PROMETHEUS',
      label: 'Prometheus',
      description: 'The Prometheus that scrapes coordd',
      type: 'datasource',
      pluginId: 'prometheus',
      pluginName: 'Prometheus',
    });
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').to.equal(ids.length);
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.type, p.title).to.be.oneOf(['timeseries', 'stat']);
      expect(p.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(p.gridPos.x + p.gridPos.w, p.title).to.be.at.most(24);
      expect(p.targets, p.title).to.be.an('array').that.is.not.empty;
      for (const t of p.targets) {
        expect(t.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
        expect(t.expr, p.title).to.be.a('string').that.is.not.empty;
        expect(t.expr, `${p.title}: filtered by the instance variable`).to.contain('instance=~"$instance"');
      }
    }
  });

  it('charts every coordd metric and the process metrics asked for, and uses only exported metrics', async () => {
    const exposition = await new Metrics().registry.metrics();
    const used = new Set(
      dashboardExprs(dashboard)
        .flatMap(metricNames)
        .map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    // A deprecated name (kept one release for old dashboards) is not charted.
    const deprecated = new Set([...exposition.matchAll(/^# HELP (\S+) DEPRECATED/gm)].map((m) => m[1]!));
    expect([...deprecated]).to.deep.equal(['coordd_pool_utilization']);
    const coordd = [...exportedTypes(exposition).keys()].filter((n) => n.startsWith('coordd_') && !deprecated.has(n));
    expect(
      coordd.filter((n) => !used.has(n)),
      'coordd metrics not on the dashboard',
    ).to.deep.equal([]);
    for (const n of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds'])
      expect(used, n).to.include(n);
    expect(missingMetrics(dashboardExprs(dashboard).flatMap(metricNames), exposition)).to.deep.equal([]);
  });
});
