import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AgentWorker, CoordClient, TaskFailure } from '../../src/client/index.js';
import { COMMANDS } from '../../src/cli/index.js';
import { EnvSchema } from '../../src/config.js';
import type { TaskRecord } from '../../src/pool/task-store.js';
import { runCli, startCli } from '../support/cli-process.js';
import { FakeDaemon } from '../support/fake-daemon.js';
import { makeTask } from '../support/task-records.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';

/** The real daemon, one agent serving "work", and the real built CLI as a child process. */
describe('coordd CLI (real daemon, built binary)', function () {
  this.timeout(30_000);
  let d: DaemonProcess;
  let worker: AgentWorker;
  let op: CoordClient;
  let env: Record<string, string>;

  before(async () => {
    d = await startDaemon({ COORDD_TASK_MAX_ATTEMPTS: '1' });
    env = { COORDD_URL: d.url };
    worker = new AgentWorker({
      url: d.url,
      agentId: 'cli-agent',
      capabilities: ['work'],
      capacity: 4,
      handler: async (task, ctx) => {
        const p = (task.payload ?? {}) as { fail?: boolean; block?: boolean; n?: number };
        if (p.fail) throw new TaskFailure('asked to fail', { retryable: false });
        if (p.block) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        return { doubled: (p.n ?? 0) * 2 };
      },
    });
    await worker.start();
    op = await CoordClient.connect({ url: d.url, reconnect: false });
  });

  after(async () => {
    await op?.close();
    await worker?.stop();
    await d?.stop();
  });

  it('status: a table for people, JSON alone on stdout with -o json', async () => {
    const table = await runCli(['status'], env);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout)
      .to.match(/^agents:\s+1 \(IDLE 1\)/m)
      .and.match(/^capacity:\s+0 \/ 4 slots in use/m);
    const json = await runCli(['status', '-o', 'json'], env);
    expect(json.code).to.equal(0);
    expect(json.json()).to.deep.include({ accepting: true }).and.have.nested.property('agents.total', 1);
    expect(json.stderr).to.equal('');
  });

  it('cluster: a single daemon is its own leader in term 0, with its one agent', async () => {
    const table = await runCli(['cluster'], env);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout)
      .to.match(/^term:\s+0$/m)
      .and.match(/^REPLICA\s+ROLE\s+URL\s+SEEN\s+AGENTS$/m)
      .and.match(/\sleader\s+ws:\/\/\S+\s.*\s1$/m);
    const json = await runCli(['cluster', '-o', 'json'], env);
    expect(json.code).to.equal(0);
    const reply = json.json() as { nodeId: string; leaderId: string; term: number; nodes: unknown[] };
    expect(reply.leaderId).to.equal(reply.nodeId);
    expect(reply.term).to.equal(0);
    expect(reply.nodes).to.have.length(1);
  });

  it('submit --wait: exit 0 with the completed record; exit 1 when the task ends FAILED', async () => {
    const ok = await runCli(['submit', '--type', 'work', '--capability', 'work', '--payload', '{"n":21}', '--wait', '-o', 'json'], env);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.json()).to.deep.include({ state: 'COMPLETED', result: { doubled: 42 } });
    expect(ok.stderr, 'state changes are logged on stderr').to.match(/COMPLETED on cli-agent/);
    const failed = await runCli(['submit', '--type', 'work', '--payload', '{"fail":true}', '--wait'], env);
    expect(failed.code).to.equal(1);
    expect(failed.stdout)
      .to.match(/^state:\s+FAILED/m)
      .and.match(/asked to fail/);
  });

  it('submit, tasks get, tasks list: the task is found, as JSON and as a table', async () => {
    const submitted = await runCli(['submit', '--type', 'work', '--payload', '{"n":1}', '--idempotency-key', 'cli-list-1', '-o', 'json'], env);
    expect(submitted.code, submitted.stderr).to.equal(0);
    const { taskId } = submitted.json<{ taskId: string }>();
    await op.waitTask(taskId);
    const got = await runCli(['tasks', 'get', taskId, '-o', 'json'], env);
    expect(got.json()).to.deep.include({ taskId, state: 'COMPLETED', idempotencyKey: 'cli-list-1' });
    const detail = await runCli(['tasks', 'get', taskId], env);
    expect(detail.stdout)
      .to.match(new RegExp(`^task:\\s+${taskId}$`, 'm'))
      .and.match(/^1\s+cli-agent\s+completed/m);
    const listed = await runCli(['tasks', 'list', '--state', 'COMPLETED', '--limit', '1000', '-o', 'json'], env);
    expect(listed.json<{ tasks: { taskId: string }[] }>().tasks.map((t) => t.taskId)).to.include(taskId);
    const table = await runCli(['tasks', 'list', '--agent', 'cli-agent'], env);
    expect(table.stdout.split('\n')[0]).to.match(/^TASK\s+STATE\s+TYPE\s+AGENT\s+ATTEMPTS\s+CREATED$/);
    expect(table.stdout).to.contain(taskId);
  });

  it('tasks cancel ends a running task CANCELLED; tasks watch ID then exits 1 with its record', async () => {
    const { taskId } = await op.assign({ type: 'work', payload: { block: true } });
    const cancelled = await runCli(['tasks', 'cancel', taskId, '-o', 'json'], env);
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    expect(cancelled.json()).to.include({ taskId, cancelRequested: true });
    const watched = await runCli(['tasks', 'watch', taskId, '-o', 'json'], env);
    expect(watched.code, watched.stderr).to.equal(1);
    const lines = watched.stdout.trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).to.include({ taskId, state: 'CANCELLED' });
  });

  it('alerts: exit 0, a table line or JSON with the thresholds', async () => {
    const table = await runCli(['alerts'], env);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/^(no active alerts|ALERT\s+VALUE)/);
    const json = await runCli(['alerts', '-o', 'json'], env);
    expect(json.json()).to.have.property('thresholds').that.has.property('utilizationMin');
  });

  it('agents lists the registered agent; tasks retry --wait runs a FAILED task again and exits 1 when it fails again', async () => {
    const agents = await runCli(['agents', '-o', 'json'], env);
    expect(agents.code, agents.stderr).to.equal(0);
    expect(agents.json<{ agents: { agentId: string }[] }>().agents.map((a) => a.agentId)).to.include('cli-agent');
    const table = await runCli(['agents', '--capability', 'work'], env);
    // The state and load depend on what earlier tests left running; the row and the filter are what this checks.
    expect(table.stdout).to.match(/^cli-agent\s+(IDLE|ANALYZING|EXECUTING)\s+\d\/4\s+work\s/m);
    const one = await runCli(['agents', 'get', 'cli-agent', '-o', 'json'], env);
    expect(one.json()).to.include({ agentId: 'cli-agent', capacity: 4 });
    const { taskId } = await op.assign({ type: 'work', payload: { fail: true } });
    await op.waitTask(taskId);
    const retried = await runCli(['tasks', 'retry', taskId, '--wait', '-o', 'json'], env);
    expect(retried.code, 'the retry fails again: exit 1').to.equal(1);
    expect(retried.json()).to.include({ taskId, state: 'FAILED' }).and.have.property('attempts').with.length(2);
  });

  it('tasks watch streams task events until Ctrl-C (exit 0); agents get shows one agent as a table', async () => {
    const watch = startCli(['tasks', 'watch'], env);
    const lines = createInterface({ input: watch.stdout });
    let stderr = '';
    watch.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // The CLI says on stderr once its subscription is in place.
    await new Promise<void>((resolve) => watch.stderr.on('data', () => /watching task events/.test(stderr) && resolve()));
    const created = new Promise<string>((resolve) => lines.on('line', (line) => /task\.created/.test(line) && resolve(line)));
    const { taskId } = await op.assign({ type: 'work', payload: { n: 5 } });
    expect(await created, stderr)
      .to.match(/task\.created\s+\S+/)
      .and.contain('type=work')
      .and.contain(taskId);
    watch.kill('SIGINT');
    const [code] = await once(watch, 'exit');
    expect(code, stderr).to.equal(0);
    const one = await runCli(['agents', 'get', 'cli-agent'], env);
    expect(one.code, one.stderr).to.equal(0);
    expect(one.stdout)
      .to.match(/^agent:\s+cli-agent$/m)
      .and.match(/^breaker:\s+closed$/m);
  });

  it('usage errors exit 2 with one line on stderr and nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['submit', '--payload', '{}'], /--type is required; see coordd submit --help/],
      [['submit', '--type', 'work', '--payload', '{not json'], /--payload is not JSON/],
      [['tasks', 'list', '--state', 'DONE'], /--state must be one of PENDING/],
      [['status', '--bogus'], /Unknown option '--bogus'/],
      [['status', '-o', 'yaml'], /-o must be table or json/],
      [['tasks', 'get'], /missing the task id/],
      [['tasks', 'frobnicate'], /unknown command "coordd tasks frobnicate"/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['status', '--url', 'http://127.0.0.1:1/rpc'], /--url must be a ws:\/\/ or wss:\/\/ URL/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args, env)));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stdout, args.join(' ')).to.equal('');
      expect(run.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(run.stderr, args.join(' ')).to.match(message);
    }
  });

  it('takes a comma list of URLs (a cluster) and uses the first that answers', async () => {
    const run = await runCli(['status', '-o', 'json', '--url', `ws://127.0.0.1:1/rpc,${d.url}`]);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.have.property('agents');
    const bad = await runCli(['status', '--url', `${d.url},http://x`]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--url must be a ws:\/\/ or wss:\/\/ URL, or a comma list of them \(got "http:\/\/x"\)/);
  });

  it('a daemon that is not there: exit 1 naming the URL and what to check', async () => {
    const run = await runCli(['status', '--url', 'ws://127.0.0.1:1/rpc']);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/cannot connect to ws:\/\/127\.0\.0\.1:1\/rpc.*is the daemon running\? set --url or COORDD_URL/);
  });

  it('--help for every command: usage, each option with its meaning, defaults; exit 0', async () => {
    const runs = await Promise.all(COMMANDS.map((command) => runCli([...command.name.split(' '), '--help'])));
    for (const [i, command] of COMMANDS.entries()) {
      const run = runs[i]!;
      expect(run.code, command.name).to.equal(0);
      expect(run.stdout, command.name).to.match(new RegExp(`^Usage: coordd ${command.name}`));
      expect(run.stdout, command.name).to.contain('-o, --output table|json').and.contain('(default: table)');
    }
    const group = await runCli(['tasks', '--help']);
    expect(group.stdout).to.contain('coordd tasks watch [ID]');
  });

  it('coordd --help (the daemon) lists every setting with its flag, default and meaning, and every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).to.equal(0);
    for (const name of Object.keys(EnvSchema.shape)) expect(run.stdout).to.match(new RegExp(`^  ${name}\\b.*\\(default: [^)]+\\)\\n {6}\\S`, 'm'));
    expect(run.stdout).to.match(/^ {2}COORDD_PORT, --port {2}\(default: 7420\)\n {6}TCP port; 0 picks a free one\.$/m);
    for (const word of new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))) expect(run.stdout).to.match(new RegExp(`^ {4}${word}\\b`, 'm'));
  });
});

describe('coordd config print', () => {
  it('shows every setting with where it came from (default, env, flag, file), secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-cli-'));
    const file = join(dir, 'coordd.yaml');
    writeFileSync(file, 'routing:\n  maxAttempts: 5\n');
    const secret = 'a-very-secret-operator-token';
    const run = await runCli(['config', 'print', '--log-level', 'debug', '-o', 'json'], { COORDD_PORT: '9000', COORDD_TOKEN: secret, COORDD_CONFIG: file });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).not.to.contain(secret);
    const rows = new Map(run.json<{ name: string; value: unknown; source: string }[]>().map((r) => [r.name, r]));
    expect(rows.get('COORDD_PORT')).to.deep.equal({ name: 'COORDD_PORT', value: 9000, source: 'env' });
    expect(rows.get('COORDD_LOG_LEVEL')).to.include({ value: 'debug', source: 'flag' });
    expect(rows.get('COORDD_HOST')).to.include({ value: '127.0.0.1', source: 'default' });
    expect(rows.get('COORDD_TOKEN')).to.include({ value: '<redacted>', source: 'env' });
    expect(rows.get('routing.maxAttempts')).to.include({ value: 5, source: 'file' });
    expect(rows.get('routing.deliverTimeoutSeconds')).to.include({ value: 30, source: 'default' });
    for (const name of Object.keys(EnvSchema.shape)) expect(rows.has(name), name).to.equal(true);
    const table = await runCli(['config', 'print'], { COORDD_PORT: '9000' });
    expect(table.stdout).to.match(/^COORDD_PORT\s+9000\s+env$/m);
  });

  it('a bad value exits 2 naming the variable, as the daemon would', async () => {
    const run = await runCli(['config', 'print'], { COORDD_PORT: 'seventy' });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/COORDD_PORT: must be a whole number/);
  });
});

describe('coordd CLI and a stand-in daemon on a real socket', () => {
  let fake: FakeDaemon;
  let env: Record<string, string>;
  beforeEach(async () => {
    fake = await FakeDaemon.start();
    env = { COORDD_URL: fake.url };
  });
  afterEach(() => fake.close());

  describe('against the operator API contract', () => {
    it('agents, agents get, tasks retry and tasks watch speak the contract', async () => {
      const summary = {
        agentId: 'a-1',
        state: 'IDLE',
        capabilities: ['work'],
        capacity: 2,
        inFlight: 1,
        heartbeatAgeMs: 1200,
        routingScore: 0.61,
        contextWindowId: 'ctx-1',
        spawned: true,
        template: 'echo',
        tags: [],
      };
      fake.handle('agent.list', (p) => ({ result: { agents: p.capability === 'work' ? [summary] : [] } }));
      fake.handle('agent.get', (p) => ({
        result: {
          ...summary,
          agentId: p.agentId,
          runningTasks: [],
          signals: [{ signalType: 'load', value: 0.5, score: 0.5, ageMs: 10 }],
          overload: { willOverload: false, predictedLoad: 0.4, confidence: 0.9 },
          breaker: { state: 'closed' },
          completed: 3,
          failed: 1,
          latencyMs: { mean: 12 },
        },
      }));
      const record = makeTask({ taskId: 't-1', type: 'work', epoch: 2, attempts: [{}] as TaskRecord['attempts'] });
      fake.handle('task.retry', () => ({ result: record }));
      fake.handle('events.subscribe', (_p, conn) => {
        setImmediate(() =>
          conn.notify('events.event', {
            subscriptionId: 's-1',
            seq: 8,
            type: 'task.state',
            at: 1_700_000_000_000,
            data: { taskId: 't-1', state: 'IN_PROGRESS', previous: 'PENDING' },
          }),
        );
        return { result: { subscriptionId: 's-1', seq: 7, snapshot: { agents: [], pool: {}, alerts: [] } } };
      });
      const agents = await runCli(['agents', '--capability', 'work'], env);
      expect(agents.code, agents.stderr).to.equal(0);
      expect(agents.stdout)
        .to.match(/^AGENT\s+STATE\s+LOAD/)
        .and.match(/^a-1\s+IDLE\s+1\/2\s+work\s+1s\s+0\.61\s+echo$/m);
      const one = await runCli(['agents', 'get', 'a-1'], env);
      expect(one.stdout)
        .to.match(/^breaker:\s+closed$/m)
        .and.match(/^attempts:\s+3 completed, 1 failed$/m)
        .and.match(/^load\s+0\.500/m);
      const retried = await runCli(['tasks', 'retry', 't-1'], env);
      expect(retried.stdout.trim()).to.equal('t-1 PENDING (attempt 2 of up to 3)');
      const watch = startCli(['tasks', 'watch', '-o', 'json'], env);
      const [line] = (await once(createInterface({ input: watch.stdout }), 'line')) as [string];
      expect(JSON.parse(line)).to.include({ type: 'task.state', seq: 8 });
      watch.kill('SIGINT');
      const [code] = await once(watch, 'exit');
      expect(code, 'Ctrl-C ends a watch cleanly').to.equal(0);
    });
  });

  describe('against a daemon without the operator API', () => {
    it('agents says which method is missing (exit 1); tasks watch ID falls back to task.wait', async () => {
      const done = makeTask({ taskId: 't-9', type: 'work', state: 'COMPLETED', epoch: 1, result: 1 });
      fake.handle('task.wait', () => ({ result: done }));
      const agents = await runCli(['agents'], env);
      expect(agents.code).to.equal(1);
      expect(agents.stderr.trim()).to.equal('coordd: the daemon does not serve agent.list (it is older than this CLI; upgrade the daemon)');
      const watch = await runCli(['tasks', 'watch', 't-9', '-o', 'json'], env);
      expect(watch.code, watch.stderr).to.equal(0);
      expect(watch.stderr).to.contain('this daemon has no events.subscribe');
      expect(JSON.parse(watch.stdout)).to.include({ taskId: 't-9', state: 'COMPLETED' });
    });
  });
});
