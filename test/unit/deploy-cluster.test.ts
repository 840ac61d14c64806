import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { fromEnv } from '../../src/client/index.js';
import { EnvSchema } from '../../src/config.js';
import { Metrics } from '../../src/observability/metrics.js';
import { metricNames, missingMetrics, PROMETHEUS_SERIES } from '../support/promql-names.js';

/**
 * deploy/docker-compose.yml (issue 12's cluster) is checked by reading it: no Docker engine runs here.
 * Every file it mounts exists, every COORDD_ variable is a real setting with a valid value, the load
 * balancer, the workers and Prometheus name exactly the replicas, and Grafana charts real metrics.
 */
const DEPLOY = new URL('../../deploy/', import.meta.url);
const ROOT = new URL('../../', import.meta.url);
const REPLICAS = ['coordd-1', 'coordd-2', 'coordd-3'];
/** The cluster metrics of the design (issue 12), used when this build does not register them yet. */
const CLUSTER_METRICS_BY_DESIGN = ['coordd_cluster_leader', 'coordd_cluster_term', 'coordd_cluster_stream_lag', 'coordd_cluster_forwarded_calls_total'];

const read = (path: string): string => readFileSync(new URL(path, DEPLOY), 'utf8');
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown>; name: string };
const services = compose.services;

/** The host path of a bind mount `./x:/y[:ro]`, resolved against deploy/, and its container path. */
function mounts(service: any): { host: URL | undefined; volume: string | undefined; target: string }[] {
  return (service.volumes ?? []).map((v: string) => {
    const [source, target] = v.split(':') as [string, string];
    return source.startsWith('.') ? { host: new URL(source, DEPLOY), volume: undefined, target } : { host: undefined, volume: source, target };
  });
}

/** The host file mounted at `target` in `service`. */
function mountedAt(service: any, target: string): URL {
  const found = mounts(service).find((m) => m.target === target || target.startsWith(`${m.target}/`));
  if (!found?.host) throw new Error(`nothing mounted at ${target}`);
  return found.target === target ? found.host : new URL(target.slice(found.target.length + 1), `${found.host.href}/`);
}

/** Metrics a replica in cluster mode exports: the daemon's registry plus the cluster metrics. */
async function clusterExposition(): Promise<string> {
  const metrics = new Metrics();
  const modulePath = '../../src/observability/cluster-metrics.js';
  if (existsSync(new URL('../../src/observability/cluster-metrics.ts', import.meta.url))) {
    const { ClusterMetrics } = (await import(modulePath)) as { ClusterMetrics: new (registry: unknown) => unknown };
    new ClusterMetrics(metrics.registry);
  }
  const exposition = await metrics.registry.metrics();
  const declared = CLUSTER_METRICS_BY_DESIGN.filter((n) => !exposition.includes(`# TYPE ${n} `)).map((n) => `# TYPE ${n} gauge`);
  return [exposition, ...declared].join('\n');
}

describe('deploy/docker-compose.yml (the cluster)', () => {
  it('has Redis, three replicas, a load balancer, echo workers, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).to.deep.equal([...REPLICAS, 'echo-worker', 'grafana', 'lb', 'prometheus', 'redis'].sort());
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, `${name}: an image or a build`).to.not.equal(undefined);
      if (s.image && !s.build && !s.image.startsWith('coordd:'))
        expect(s.image, `${name}: a pinned tag`)
          .to.match(/:[\w.-]+$/)
          .and.not.match(/:latest$/);
    }
  });

  it('runs Redis with AOF on, on a named volume, with a healthcheck', () => {
    const redis = services.redis;
    const args: string[] = redis.command;
    expect(args[args.indexOf('--appendonly') + 1]).to.equal('yes');
    expect(['always', 'everysec']).to.include(args[args.indexOf('--appendfsync') + 1]);
    expect(mounts(redis).find((m) => m.target === '/data')?.volume).to.be.a('string');
    expect(redis.healthcheck.test.join(' ')).to.contain('redis-cli ping');
  });

  it('builds the replicas from the repository Dockerfile, waits for a healthy Redis, and checks /readyz', () => {
    for (const name of REPLICAS) {
      const s = services[name];
      expect(existsSync(new URL(`${s.build.dockerfile}`, new URL(`${s.build.context}/`, DEPLOY))), name).to.equal(true);
      expect(s.depends_on.redis.condition, name).to.equal('service_healthy');
      expect(s.healthcheck.test.join(' '), name).to.contain('/readyz');
    }
    const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
    expect(dockerfile).to.match(/^EXPOSE 7420$/m);
  });

  it('gives each replica only real settings, all valid, a store on the redis service, and its own node id', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    const ids = new Set<string>();
    for (const name of REPLICAS) {
      const env: Record<string, string> = services[name].environment;
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key} is a setting of src/config.ts`).to.equal(true);
      const parsed = EnvSchema.safeParse(env);
      expect(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.message}`).to.equal(true);
      expect(env.COORDD_STORE).to.match(/^redis:\/\/redis:6379\/\d+$/);
      expect(env.COORDD_HOST).to.equal('0.0.0.0');
      expect(env.COORDD_PORT).to.equal('7420');
      expect(env.COORDD_NODE_ID).to.equal(name);
      expect(env.COORDD_CLUSTER_ADVERTISE_URL).to.equal(`ws://${name}:7420/rpc`);
      ids.add(env.COORDD_NODE_ID!);
      // auth: the tokens file is mounted where the setting points
      expect(existsSync(new URL('cluster/make-tokens.sh', DEPLOY))).to.equal(true);
      expect(mounts(services[name]).some((m) => env.COORDD_TOKENS_FILE!.startsWith(`${m.target}/`) && m.host !== undefined)).to.equal(true);
    }
    expect(ids.size).to.equal(REPLICAS.length);
  });

  it('puts nginx in front of exactly the replicas, passing WebSocket upgrades on', () => {
    const lb = services.lb;
    expect(lb.ports).to.deep.equal(['7420:7420']);
    const conf = readFileSync(mountedAt(lb, '/etc/nginx/nginx.conf'), 'utf8');
    const upstream = [...conf.matchAll(/^\s*server\s+([\w.-]+:\d+)/gm)].map((m) => m[1]);
    expect(upstream).to.deep.equal(REPLICAS.map((r) => `${r}:7420`));
    expect(conf).to.match(/proxy_http_version 1\.1;/);
    expect(conf).to.match(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).to.match(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).to.match(/listen 7420;/);
    expect(lb.healthcheck.test.join(' ')).to.contain('/readyz');
  });

  it('points the echo workers at every replica (the client rotates through the list) with the agent token', () => {
    const worker = services['echo-worker'];
    const env = fromEnv(worker.environment);
    expect(env.url).to.deep.equal(REPLICAS.map((r) => `ws://${r}:7420/rpc`));
    const command = worker.entrypoint.join(' ');
    expect(command).to.contain('node dist/workers/echo-worker.js');
    expect(command).to.match(/COORDD_JOIN_TOKEN=.*"agent"/);
    expect(existsSync(new URL('src/workers/echo-worker.ts', ROOT))).to.equal(true);
    expect(worker.image).to.equal(services['coordd-1'].image);
  });

  it('has Prometheus scrape each replica (not the load balancer) and load the alert rules', () => {
    const prometheus = services.prometheus;
    const config = parseYaml(readFileSync(mountedAt(prometheus, '/etc/prometheus/prometheus.yml'), 'utf8')) as any;
    const job = config.scrape_configs.find((j: any) => j.job_name === 'coordd');
    expect(job.static_configs.flatMap((c: any) => c.targets)).to.deep.equal(REPLICAS.map((r) => `${r}:7420`));
    expect(job.metrics_path ?? '/metrics').to.equal('/metrics');
    for (const rules of config.rule_files) expect(existsSync(mountedAt(prometheus, rules)), rules).to.equal(true);
  });

  it('provisions Grafana with the Prometheus datasource and the cluster dashboard', () => {
    const grafana = services.grafana;
    const datasources = parseYaml(readFileSync(mountedAt(grafana, '/etc/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as any;
    const source = datasources.datasources[0];
    expect(source).to.include({ type: 'prometheus', url: 'http://prometheus:9090' });
    const providers = parseYaml(readFileSync(mountedAt(grafana, '/etc/grafana/provisioning/dashboards/coordd.yml'), 'utf8')) as any;
    const dir = providers.providers[0].options.path as string;
    const dashboard = JSON.parse(readFileSync(mountedAt(grafana, `${dir}/coordd-cluster.json`), 'utf8'));
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).to.equal(source.uid);
      for (const t of panel.targets) expect(t.expr, panel.title).to.contain('instance=~"$instance"');
    }
  });

  it("charts the cluster's leader, term, stream lag, forwarded calls, tasks/s and queue depth, with metrics replicas export", async () => {
    const dashboard = JSON.parse(read('cluster/grafana/dashboards/coordd-cluster.json'));
    const exprs: string[] = [
      ...dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)),
      ...dashboard.templating.list.map((v: any) => v.query.query),
    ];
    const used = new Set(exprs.flatMap(metricNames));
    for (const n of [...CLUSTER_METRICS_BY_DESIGN, 'coordd_tasks_total', 'coordd_task_queue_depth']) expect(used, n).to.include(n);
    const exposition = await clusterExposition();
    expect(
      missingMetrics(
        [...used].filter((n) => !PROMETHEUS_SERIES.has(n)),
        exposition,
      ),
    ).to.deep.equal([]);
  });

  it('declares every named volume it uses, and keeps the tokens out of git and the image', () => {
    const named = Object.values(services).flatMap((s) => mounts(s).flatMap((m) => (m.volume ? [m.volume] : [])));
    for (const v of named) expect(compose.volumes, v).to.have.property(v);
    for (const s of Object.values(services)) for (const m of mounts(s)) if (m.host) expect(existsSync(m.host), m.host.pathname).to.equal(true);
    expect(read('cluster/secrets/.gitignore').trim()).to.equal('tokens');
    expect(readFileSync(new URL('.dockerignore', ROOT), 'utf8')).to.contain('deploy/cluster/secrets');
  });
});
