import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDaemon, startDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

describe('the daemon process', () => {
  it('prints --help and --version and exits 0', async () => {
    const help = await runDaemon({}, ['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain('COORDD_PORT').and.contain('--port');
    const version = await runDaemon({}, ['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout).to.match(/^coordd \d+\.\d+\.\d+/);
  });

  const badConfigs: [string, Record<string, string>, string[], RegExp][] = [
    ['port out of range', { COORDD_PORT: '70000' }, [], /COORDD_PORT/],
    ['port not a number (flag)', {}, ['--port', 'abc'], /COORDD_PORT/],
    ['unknown strategy', { COORDD_ROUTER_STRATEGY: 'FASTEST' }, [], /COORDD_ROUTER_STRATEGY/],
    ['weight that is not a number', { ROUTING_WEIGHT_LOAD: 'heavy' }, [], /ROUTING_WEIGHT_LOAD.*number/],
    ['negative weight', { ROUTING_WEIGHT_COST: '-1' }, [], /ROUTING_WEIGHT_COST/],
    [
      'all weights zero',
      Object.fromEntries(['LOAD', 'CAPACITY', 'QUALITY', 'COST', 'AVAILABILITY', 'LATENCY'].map((w) => [`ROUTING_WEIGHT_${w}`, '0'])),
      [],
      /ROUTING_WEIGHT/,
    ],
    ['non-boolean switch', { COORDINATION_ENABLE_REP: 'maybe' }, [], /COORDINATION_ENABLE_REP/],
    ['zero TTL', { COORDINATION_SIGNAL_TTL: '0' }, [], /COORDINATION_SIGNAL_TTL/],
    ['unknown log level', { COORDD_LOG_LEVEL: 'loud' }, [], /COORDD_LOG_LEVEL/],
    ['unknown flag', {}, ['--frobnicate'], /frobnicate/],
    ['public bind without tokens', { COORDD_HOST: '0.0.0.0' }, [], /COORDD_HOST.*--insecure/],
    ['missing tokens file', { COORDD_TOKENS_FILE: '/nonexistent/tokens' }, [], /COORDD_TOKENS_FILE/],
    ['short token', { COORDD_TOKEN: 'short' }, [], /COORDD_TOKEN/],
    ['missing config file', { COORDD_CONFIG: '/nonexistent/coordd.yml' }, [], /COORDD_CONFIG/],
    ['unknown store', { COORDD_STORE: 'postgres://db' }, [], /COORDD_STORE: must be sqlite:<path>, memory, or redis/],
    ['redis store with a malformed cluster lease', { COORDD_CLUSTER_LEASE: 'soon' }, ['--store', 'redis://127.0.0.1:6379'], /COORDD_CLUSTER_LEASE/],
    ['unknown fsync mode', { COORDD_FSYNC: 'sometimes' }, [], /COORDD_FSYNC: must be normal or full/],
  ];
  for (const [name, env, args, pattern] of badConfigs) {
    it(`exits 2 with one line naming the variable: ${name}`, async () => {
      const r = await runDaemon(env, args);
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(pattern);
      expect(r.stdout).not.to.contain('listening');
    });
  }

  it('refuses a malformed tokens file with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, 'abcdefghijklmnopqrstuvwxyz superuser\n');
    const r = await runDaemon({ COORDD_TOKENS_FILE: file });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/COORDD_TOKENS_FILE: line 1/);
  });

  it('writes the listening line whatever COORDD_LOG_LEVEL is', async () => {
    for (const level of ['warn', 'error', 'silent']) {
      const d = await startDaemon({ COORDD_LOG_LEVEL: level });
      expect(d.port, level).to.be.above(0);
      expect(
        d.logs.filter((l) => l.level === 'info').map((l) => l.msg),
        level,
      ).to.deep.equal(['listening']);
      expect(await d.stop()).to.equal(0);
    }
  });

  it('starts on a non-loopback address with --insecure', async () => {
    const d = await startDaemon({ COORDD_HOST: '0.0.0.0' }, ['--insecure']);
    expect(d.port).to.be.above(0);
    expect(await d.stop()).to.equal(0);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const d = await startDaemon();
    try {
      expect(await (await fetch(`${d.httpUrl}/healthz`)).json()).to.deep.equal({ status: 'ok' });
      expect((await fetch(`${d.httpUrl}/readyz`)).status).to.equal(200);
      const c = await TestClient.connect(d.url);
      await c.request('coordination.signal', { agentId: 'm1', signalType: 'quality', value: 0.9 });
      await c.request('router.select', {});
      await c.call('no.such.method');
      const res = await fetch(`${d.httpUrl}/metrics`);
      expect(res.headers.get('content-type')).to.contain('text/plain');
      const text = await res.text();
      for (const name of [
        'coordd_rpc_requests_total',
        'coordd_rpc_request_duration_seconds_bucket',
        'coordd_ws_connections',
        'coordd_signals_total',
        'coordd_signals_expired_total',
        'coordd_agents_tracked',
        'coordd_router_selections_total',
        'coordd_sweeper_runs_total',
        'process_cpu_user_seconds_total',
        'nodejs_heap_size_used_bytes',
      ]) {
        expect(text, name).to.contain(name);
      }
      expect(text).to.match(/coordd_rpc_requests_total\{method="coordination.signal",code="ok"\} 1/);
      expect(text).to.match(/coordd_rpc_requests_total\{method="<unknown>",code="-32601"\} 1/);
      expect(text).to.match(/coordd_signals_total\{type="quality",outcome="accepted"\} 1/);
      expect(text).to.match(/coordd_agents_tracked 1/);
      expect(text).to.match(/coordd_ws_connections 1/);
      expect(text).to.match(/coordd_router_selections_total\{strategy="RIPPLE_COORDINATION",fallback="false"\} 1/);
      expect(text).not.to.contain('m1');
      await c.close();
    } finally {
      await d.stop();
    }
  });

  it('on SIGTERM: closes sockets with 1001, reports not ready, exits 0', async () => {
    const d = await startDaemon();
    const c = await TestClient.connect(d.url);
    await c.request('rpc.discover');
    const exit = d.stop();
    expect((await c.closed).code).to.equal(1001);
    expect(await exit).to.equal(0);
    expect(d.logs.map((l) => l.msg)).to.include.members(['shutting down', 'stopped']);
  });

  it('logs connection open and close at info, and each RPC at debug with duration and outcome', async () => {
    const d = await startDaemon({ COORDD_LOG_LEVEL: 'debug' });
    const c = await TestClient.connect(d.url);
    await c.request('coordination.signal', { agentId: 'l1', signalType: 'load', value: 0.5, traceId: 'trace-abc' });
    await c.request('coordination.state', { agentId: 'l1', _meta: undefined });
    await c.close();
    const closed = await d.waitForLog((l) => l.msg === 'connection closed');
    expect(closed).to.include({ level: 'info', closedBy: 'client' });
    expect(closed.connectionId).to.be.a('string');
    const rpc = await d.waitForLog((l) => l.msg === 'rpc' && l.traceId === 'trace-abc');
    expect(rpc).to.include({ method: 'coordination.signal', outcome: 'ok', level: 'debug' });
    expect(rpc.durationMs).to.be.a('number');
    expect(rpc.connectionId).to.be.a('string');
    const open = await d.waitForLog((l) => l.msg === 'connection open');
    expect(open.level).to.equal('info');
    expect(open.connectionId).to.equal(closed.connectionId);
    await d.stop();
  });

  it('generates a fresh trace id for each call that brings none', async () => {
    const d = await startDaemon({ COORDD_LOG_LEVEL: 'debug' });
    const c = await TestClient.connect(d.url);
    await c.request('coordination.signal', { agentId: 'g1', signalType: 'load', value: 0.2 });
    await c.request('coordination.signal', { agentId: 'g1', signalType: 'load', value: 0.3 });
    const isSignalLine = (l: Record<string, unknown>) => l.msg === 'rpc' && l.method === 'coordination.signal';
    const first = await d.waitForLog(isSignalLine);
    const second = await d.waitForLog((l) => isSignalLine(l) && l !== first);
    const traceIds = [first.traceId, second.traceId];
    for (const id of traceIds)
      expect(id)
        .to.be.a('string')
        .and.match(/^[\da-f]{32}$/);
    expect(traceIds[0]).not.to.equal(traceIds[1]);
    await c.close();
    await d.stop();
  });

  it('takes the trace id from params._meta.traceparent', async () => {
    const d = await startDaemon({ COORDD_LOG_LEVEL: 'debug' });
    const c = await TestClient.connect(d.url);
    const doc = await c.request('rpc.discover', { _meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(doc.openrpc).to.be.a('string');
    const line = await d.waitForLog((l) => l.msg === 'rpc' && l.method === 'rpc.discover');
    expect(line.traceId).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    await c.close();
    await d.stop();
  });
});
