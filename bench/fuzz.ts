/**
 * npm run fuzz: hostile frames over real sockets against the real daemon process (dist/), on
 * several connections at once. Every frame that must be answered is answered exactly once, with
 * a result or a catalogued error (never Internal error); the daemon never exits.
 *
 *   npm run fuzz -- [--frames 200000] [--connections 8] [--window 64] [--seed 1]
 *
 * Prints frames/s, crashes, wrong and missing replies, and the daemon's RSS before and after.
 * Exit code 1 when anything was wrong.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import WebSocket from 'ws';
import { z } from 'zod';
import { ErrorCatalogue } from '../src/errors.js';
import { ALL_METHODS } from '../src/schemas/index.js';
import { startDaemon } from '../test/support/daemon-process.js';
import { fromSchema, hostileValue } from '../test/support/hostile-values.js';
import { machineInfo } from './lib/machine.js';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '200000' },
    connections: { type: 'string', default: '8' },
    window: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
  },
});
const FRAMES = Number(args.frames);
const CONNECTIONS = Number(args.connections);
const WINDOW = Number(args.window);
const SEED = Number(args.seed);

/**
 * Left out: methods that would start real processes (spawned workers), and agent.register: a
 * registered connection is closed by design when its agent is taken over (4001) or misses its
 * heartbeats (4002), which would end the run's connections; and pool.shutdown, after which every
 * pool call is SHUTTING_DOWN. test/unit/rpc/property-all-methods.test.ts
 * covers these in-process.
 */
const SKIPPED = new Set(['pool.spawn', 'pool.scaling.execute', 'pool.scaling.start', 'agent.register', 'pool.shutdown']);
const METHODS = ALL_METHODS.filter((m) => !SKIPPED.has(m.name));
const CATALOGUED = new Set(Object.values(ErrorCatalogue).map((e) => e.code));

/** One frame to send and what must come back. */
interface Frame {
  text: string;
  /** Ids whose replies must come back (empty: nothing must). For a parse error, the single id null. */
  expect: (number | null)[];
  batch: boolean;
}

/** Waits are clamped so every reply comes within the run (a wait of an hour is legal, and dull). */
function clampWaits(p: unknown): unknown {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return p;
  const o = p as Record<string, unknown>;
  for (const k of ['timeoutMs', 'waitMs', 'drainTimeoutMs']) if (typeof o[k] === 'number') o[k] = Math.min(o[k] as number, 500);
  return o;
}

const paramArbs = METHODS.map((def) => {
  const schema = z.toJSONSchema(def.params, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Parameters<typeof fromSchema>[0];
  return fc.oneof({ weight: 6, arbitrary: fromSchema(schema) }, { weight: 1, arbitrary: hostileValue() });
});

let nextId = 1;

/** A frame's ingredients: its kind (0..99), the method and the params for it. */
const ingredients = fc.tuple(
  fc.nat({ max: 99 }),
  fc.nat({ max: METHODS.length - 1 }).chain((m) => paramArbs[m]!.map((params) => ({ m, params }))),
);

/** The next `count` frames of a connection, generated on demand (the run never holds all of them). */
function makeFrames(count: number, seed: number): Frame[] {
  const frames: Frame[] = [];
  for (const [kind, { m, params: raw }] of fc.sample(ingredients, { numRuns: count, seed })) {
    const params = clampWaits(raw);
    const method = METHODS[m]!.name;
    if (kind < 3) {
      frames.push({ text: `{"jsonrpc":"2.0","id":${nextId++},"method":"${method}","params":{`, expect: [null], batch: false });
    } else if (kind < 8) {
      // A notification is answered only when it is not a valid request at all (params neither object nor array).
      const valid = typeof params === 'object' && params !== null;
      frames.push({ text: JSON.stringify({ jsonrpc: '2.0', method, params }), expect: valid ? [] : [null], batch: false });
    } else if (kind < 12) {
      const ids = [nextId++, nextId++, nextId++];
      frames.push({ text: JSON.stringify(ids.map((id) => ({ jsonrpc: '2.0', id, method, params }))), expect: ids, batch: true });
    } else if (kind < 15) {
      const id = nextId++;
      frames.push({ text: JSON.stringify({ jsonrpc: '2.0', id, method: `${method}.nope`, params }), expect: [id], batch: false });
    } else {
      const id = nextId++;
      frames.push({ text: JSON.stringify({ jsonrpc: '2.0', id, method, params }), expect: [id], batch: false });
    }
  }
  // Frames over COORDD_MAX_PAYLOAD close the socket (1009), by design: not what this run is about.
  return frames.filter((f) => Buffer.byteLength(f.text) < 1_000_000);
}

/** A connection's frames, in chunks generated as the run goes. */
class FrameSource {
  private chunk: Frame[] = [];
  private at = 0;
  private made = 0;
  private chunkNo = 0;
  constructor(
    private readonly total: number,
    private readonly seed: number,
  ) {}
  next(): Frame | undefined {
    if (this.at >= this.chunk.length) {
      if (this.made >= this.total) return undefined;
      const n = Math.min(500, this.total - this.made);
      this.chunk = makeFrames(n, this.seed * 10_000 + this.chunkNo++);
      this.made += n;
      this.at = 0;
      if (this.chunk.length === 0) return this.next();
    }
    return this.chunk[this.at++];
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

interface Tally {
  sent: number;
  bytes: number;
  replies: number;
  wrong: string[];
  missing: number;
}

/** One connection: keeps `WINDOW` frames in flight, checks every reply against what it expected. */
async function drive(url: string, frames: FrameSource, tally: Tally): Promise<void> {
  const ws = new WebSocket(url, { maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const waiting = new Map<number | null, number>();
  const sentText = new Map<number, string>();
  let inFlight = 0;
  let closing = false;
  let exhausted = false;
  let resolveDone: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const wrong = (why: string): void => void (tally.wrong.length < 20 ? tally.wrong.push(why) : tally.wrong.push(''));
  const answered = (reply: Record<string, unknown>): void => {
    const id = reply.id as number | null;
    const left = waiting.get(id);
    if (left === undefined) return wrong(`reply for an id not waited for: ${JSON.stringify(reply).slice(0, 200)}`);
    if (left <= 1) {
      waiting.delete(id);
      if (id !== null) sentText.delete(id);
    } else waiting.set(id, left - 1);
    tally.replies++;
    const err = reply.error as { code?: unknown } | undefined;
    if (reply.jsonrpc !== '2.0' || 'result' in reply === (err !== undefined)) return wrong(`malformed reply ${JSON.stringify(reply).slice(0, 200)}`);
    if (err !== undefined && (!CATALOGUED.has(err.code as number) || err.code === -32603)) wrong(`bad error ${JSON.stringify(err).slice(0, 300)}`);
  };
  const pump = (): void => {
    while (inFlight < WINDOW && !exhausted) {
      const f = frames.next();
      if (f === undefined) {
        exhausted = true;
        break;
      }
      tally.sent++;
      tally.bytes += f.text.length;
      if (f.expect.length === 0) {
        ws.send(f.text); // a notification: nothing waits for it
        continue;
      }
      for (const id of f.expect) {
        waiting.set(id, (waiting.get(id) ?? 0) + 1);
        if (id !== null) sentText.set(id, f.text);
      }
      inFlight += f.expect.length;
      ws.send(f.text);
    }
    if (inFlight === 0 && exhausted) resolveDone();
  };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as unknown;
    const replies = Array.isArray(msg) ? msg : [msg];
    for (const r of replies as Record<string, unknown>[]) {
      if (typeof r.method === 'string') continue; // a daemon → client request or notification (task.run, task.updated…)
      answered(r);
      inFlight--;
    }
    pump();
  });
  ws.on('close', (code) => {
    if (!closing) wrong(`connection closed by the daemon: ${code}`);
    resolveDone();
  });
  pump();
  // Once everything is sent, replies still owed after a quiet spell are missing.
  let lastReplies = -1;
  const watchdog = setInterval(() => {
    if (exhausted && tally.replies === lastReplies) resolveDone();
    lastReplies = tally.replies;
  }, 15_000);
  await done;
  closing = true;
  clearInterval(watchdog);
  tally.missing += [...waiting.values()].reduce((a, b) => a + b, 0);
  for (const id of [...waiting.keys()].slice(0, 5))
    tally.wrong.push(`no reply to ${id === null ? 'a frame answered with id null' : sentText.get(id)?.slice(0, 300)}`);
  ws.close();
}

/**
 * One agent that answers every daemon request (task.run, message.deliver, route.decide) with a
 * hostile value as its result or its error's data: answers over the limits must fail that attempt
 * with ANSWER_TOO_LARGE, never disturb anyone. Returns the number of answers it sent, and a stop.
 */
async function hostileAgent(url: string, seed: number): Promise<{ answers: () => number; stop: () => void }> {
  const ws = new WebSocket(url);
  await new Promise((resolve) => ws.once('open', resolve));
  const values = fc.sample(hostileValue(), { numRuns: 500, seed });
  let answers = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id?: unknown; method?: string };
    if (msg.method === undefined || msg.id === undefined) return;
    const v = values[answers++ % values.length];
    const answer = answers % 3 === 0 ? { error: { code: 1, message: 'no', data: v } } : { result: v };
    const text = JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...answer });
    if (Buffer.byteLength(text) < 1_000_000) ws.send(text);
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'reg', method: 'agent.register', params: { agentId: 'fuzz-agent', capabilities: [], capacity: 64 } }));
  const beat = setInterval(() => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'hb', method: 'agent.heartbeat', params: {} })), 2000);
  return {
    answers: () => answers,
    stop: () => {
      clearInterval(beat);
      ws.close();
    },
  };
}

async function main(): Promise<void> {
  const daemon = await startDaemon({ COORDD_LOG_LEVEL: 'warn', COORDD_MAX_VALUE_BYTES: String(64 * 1024) });
  const pid = daemon.proc.pid!;
  const rssBefore = rssOf(pid);
  const perConnection = Math.ceil(FRAMES / CONNECTIONS);
  console.log(`${perConnection * CONNECTIONS} frames on ${CONNECTIONS} connections (seed ${SEED})…`);
  const sources = Array.from({ length: CONNECTIONS }, (_, c) => new FrameSource(perConnection, SEED * 100 + c));
  const tally: Tally = { sent: 0, bytes: 0, replies: 0, wrong: [], missing: 0 };
  const agent = await hostileAgent(daemon.url, SEED);
  const started = performance.now();
  await Promise.all(sources.map((frames) => drive(daemon.url, frames, tally)));
  const seconds = (performance.now() - started) / 1000;
  agent.stop();
  const alive = daemon.proc.exitCode === null && daemon.proc.signalCode === null;
  const rssAfter = alive ? rssOf(pid) : NaN;
  const exit = alive ? await daemon.stop() : daemon.proc.exitCode;
  const result = {
    frames: tally.sent,
    connections: CONNECTIONS,
    megabytesSent: +(tally.bytes / 1e6).toFixed(1),
    seconds: +seconds.toFixed(1),
    framesPerSecond: Math.round(tally.sent / seconds),
    replies: tally.replies,
    agentAnswers: agent.answers(),
    crashes: alive ? 0 : 1,
    errorLogLines: daemon.logs.filter((l) => (l.level as number) >= 50).length,
    wrongReplies: tally.wrong.length,
    missingReplies: tally.missing,
    rssBeforeMiB: +(rssBefore / 2 ** 20).toFixed(1),
    rssAfterMiB: +(rssAfter / 2 ** 20).toFixed(1),
    cleanExit: exit === 0,
    machine: machineInfo(),
  };
  console.log(JSON.stringify(result, null, 2));
  for (const w of tally.wrong.filter(Boolean).slice(0, 10)) console.log(`wrong: ${w}`);
  for (const l of daemon.logs.filter((l) => (l.level as number) >= 50).slice(0, 5)) console.log(`error log: ${JSON.stringify(l).slice(0, 400)}`);
  if (!alive || tally.wrong.length > 0 || tally.missing > 0 || exit !== 0) process.exitCode = 1;
}

await main();
