/**
 * How much time does the daemon itself spend routing one message (router.route), excluding the
 * agents' time? Target: p99 < 1 ms (the seed asked for < 200 ms).
 *
 * The built daemon runs as a child process (COORDD_LOG_LEVEL=warn); this script hosts the agents
 * (coordd/client AgentWorkers answering message.deliver at once) and one operator connection
 * that keeps `concurrency` router.route calls in flight. The daemon measures its own time per
 * message into coordd_route_overhead_seconds:
 *   from the router.route frame's arrival at the daemon's WebSocket handler (before JSON.parse)
 *   until the reply has been serialised and handed to the socket (ws send), so parsing, zod
 *   validation, choosing the agent, serialising the relayed history, recording the conversation
 *   and serialising the result all count;
 *   minus, for each route.decide and message.deliver call, only the time the daemon waited on the
 *   agent: from the request handed to the socket until the reply frame arrives (before it is
 *   parsed), or until the timeout or the close.
 * Not in it: the kernel and the event loop queue before the daemon's handler runs (for the inbound
 * request), and the socket write of a corked outbound request, which happens on the next tick
 * after the request was handed over (that lands in the agent's share). Time the daemon spends
 * on other connections' frames while a route waits for its agent is not this route's (it is in
 * the wait); time an answered route waits to resume behind other work is this route's.
 * The bench reads that histogram from two /metrics scrapes around the measured window and
 * reports its p50/p99 (interpolated within buckets, as PromQL's histogram_quantile, plus the
 * bucket bound that holds the quantile). The operator's round trip is reported next to it for
 * context.
 *
 * Scenarios, each on a fresh daemon with the same fleet of 20 agents (5 specialisations):
 * - strategy:   no supervisor, no rules: RIPPLE_COORDINATION picks; 200 conversations, so most
 *               messages carry a 20-message history.
 * - rules:      50 intent rules (keywords and regexes) in the configuration file decide.
 * - supervisor: a supervisor agent answers route.decide at once (its time is the agents').
 *
 * Run: npm run bench:route [-- --quick]   (writes bench/results/route.json)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentWorker, CoordClient } from '../src/client/index.js';
import { machineInfo } from './lib/machine.js';
import { startDaemon, type DaemonChild } from './lib/pool-daemon.js';
import { histogramWindow, scrapeMetrics, type HistogramWindow } from './lib/pool-metrics.js';
import { summarize, type LatencySummary } from './lib/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAEMON_BIN = join(HERE, '..', 'dist', 'bin', 'coordd.js');
const RESULTS = join(HERE, 'results', 'route.json');
const TARGET_P99_MS = 1;

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (a !== '--quick') {
    console.error(`unknown argument ${a}; usage: tsx bench/route.ts [--quick]`);
    process.exit(2);
  }
}
const quick = args.has('--quick');
const PARAMS = { agents: 20, conversations: 200, concurrency: 8, warmup: quick ? 300 : 1_000, measured: quick ? 1_500 : 10_000 };
const SPECIALISATIONS = ['code_generator', 'debugger', 'documentation', 'code_reviewer', 'context_analyzer'];
const WORDS = ['parser', 'stack trace', 'README', 'review', 'context', 'refactor', 'crash', 'docs', 'diff', 'summary'];

type Scenario = 'strategy' | 'rules' | 'supervisor';

interface ScenarioResult {
  scenario: Scenario;
  messages: number;
  messagesPerSec: number;
  daemonOverhead: HistogramWindow;
  roundTripMs: LatencySummary;
  decidedBy: Record<string, number>;
  met: boolean;
}

function configFile(scenario: Scenario): string {
  const rules: string[] = [];
  if (scenario === 'rules') {
    for (let i = 0; i < 50; i++) {
      const capability = SPECIALISATIONS[i % SPECIALISATIONS.length]!;
      rules.push(
        i % 2 === 0
          ? `    - { capability: ${capability}, keywords: ['kw${i}a', 'kw${i}b phrase', '${WORDS[i % WORDS.length]}'] }`
          : `    - { capability: ${capability}, pattern: '\\b(?:pat${i}|${WORDS[i % WORDS.length]})s?\\b' }`,
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'coordd-bench-route-'));
  const path = join(dir, 'coordd.yml');
  writeFileSync(path, ['routing:', rules.length ? '  intentRules:' : '  intentRules: []', ...rules, 'conversations:', '  historyMessages: 20'].join('\n'));
  return path;
}

async function startAgents(url: string, scenario: Scenario): Promise<AgentWorker[]> {
  const workers: AgentWorker[] = [];
  for (let i = 0; i < PARAMS.agents; i++) {
    const agentId = `agent-${i}`;
    workers.push(
      new AgentWorker({
        url,
        agentId,
        capabilities: [SPECIALISATIONS[i % SPECIALISATIONS.length]!],
        capacity: 4,
        handler: () => null,
        onMessage: (d) => ({ by: agentId, n: d.history.length }),
        heartbeat: false,
        reconnect: false,
      }),
    );
  }
  if (scenario === 'supervisor') {
    let turn = 0;
    workers.push(
      new AgentWorker({
        url,
        agentId: 'supervisor',
        capabilities: ['supervisor'],
        capacity: 64,
        handler: () => null,
        onRouteDecide: (req) => ({ agentId: req.candidates[turn++ % req.candidates.length]!.agentId }),
        heartbeat: false,
        reconnect: false,
      }),
    );
  }
  await Promise.all(workers.map((w) => w.start()));
  return workers;
}

/** Keep `concurrency` router.route calls in flight until `count` have been answered. */
async function drive(op: CoordClient, count: number, offset: number, decidedBy: Record<string, number>): Promise<Float64Array> {
  const rtt = new Float64Array(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const n = offset + i;
      const message = `please look at the ${WORDS[n % WORDS.length]} of item ${n}`;
      const started = performance.now();
      const r = await op.route({ message, conversationId: `conv-${n % PARAMS.conversations}` });
      rtt[i] = performance.now() - started;
      decidedBy[r.decidedBy] = (decidedBy[r.decidedBy] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: PARAMS.concurrency }, lane));
  return rtt;
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const daemon: DaemonChild = await startDaemon(DAEMON_BIN, [], { COORDD_LOG_LEVEL: 'warn', COORDD_STORE: 'memory', COORDD_CONFIG: configFile(scenario) });
  const workers = await startAgents(daemon.url, scenario);
  const op = await CoordClient.connect({ url: daemon.url, reconnect: false });
  try {
    await drive(op, PARAMS.warmup, 0, {});
    const before = await scrapeMetrics(daemon.httpUrl);
    const decidedBy: Record<string, number> = {};
    const started = performance.now();
    const rtt = await drive(op, PARAMS.measured, PARAMS.warmup, decidedBy);
    const seconds = (performance.now() - started) / 1000;
    const after = await scrapeMetrics(daemon.httpUrl);
    const overhead = histogramWindow(before, after, 'coordd_route_overhead_seconds');
    return {
      scenario,
      messages: PARAMS.measured,
      messagesPerSec: Math.round(PARAMS.measured / seconds),
      daemonOverhead: overhead,
      roundTripMs: summarize(rtt),
      decidedBy,
      met: overhead.p99Ms < TARGET_P99_MS,
    };
  } finally {
    await op.close();
    await Promise.all(workers.map((w) => w.stop()));
    await daemon.stop();
  }
}

const results: ScenarioResult[] = [];
console.log(
  `bench:route ${quick ? '(quick) ' : ''}— ${PARAMS.agents} agents, ${PARAMS.concurrency} messages in flight, ${PARAMS.measured} measured per scenario`,
);
for (const scenario of ['strategy', 'rules', 'supervisor'] as const) {
  const r = await runScenario(scenario);
  results.push(r);
  const o = r.daemonOverhead;
  console.log(
    `  ${scenario.padEnd(11)} daemon overhead p50 ${o.p50Ms.toFixed(3)} ms, p99 ${o.p99Ms.toFixed(3)} ms (≤ ${o.p99UpperBoundMs} ms bucket)` +
      ` | round trip p50 ${r.roundTripMs.p50.toFixed(2)} ms p99 ${r.roundTripMs.p99.toFixed(2)} ms | ${r.messagesPerSec} msg/s | decided by ${JSON.stringify(r.decidedBy)}` +
      ` | target p99 < ${TARGET_P99_MS} ms: ${r.met ? 'met' : 'MISSED'}`,
  );
}
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, JSON.stringify({ bench: 'route', quick, params: PARAMS, targetP99Ms: TARGET_P99_MS, machine: machineInfo(), results }, null, 2) + '\n');
console.log(`wrote ${RESULTS}`);
if (!results.every((r) => r.met)) process.exitCode = 1;
