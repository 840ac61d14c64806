#!/usr/bin/env node
/**
 * The reference worker (the daemon's built-in `echo` template): answers each task with
 * `{echo: payload, taskId, attempt, pid}`. Payload flags exercise the daemon's failure paths:
 * `sleepMs` (wait, cut short by task.cancel), `fail` (+ `retryable: false` to make it final),
 * `crash` (exit 1 mid-task), `hang` (never answer). Routed messages (`message.deliver`) are echoed
 * too. Settings come from COORDD_* (see fromEnv).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentWorker, fromEnv, TaskFailure, type WorkerEnv } from '../client/index.js';

interface EchoPayload {
  sleepMs?: unknown;
  fail?: unknown;
  retryable?: unknown;
  crash?: unknown;
  hang?: unknown;
}

function die(error: unknown): never {
  process.stderr.write(`echo-worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

let env: WorkerEnv;
try {
  env = fromEnv();
} catch (error) {
  die(error);
}

const worker = new AgentWorker({
  name: 'echo',
  type: 'echo',
  capabilities: ['echo'],
  capacity: 1,
  ...env,
  handler: async (task, { signal }) => {
    const p: EchoPayload = typeof task.payload === 'object' && task.payload !== null ? task.payload : {};
    if (typeof p.sleepMs === 'number' && p.sleepMs > 0) await sleep(p.sleepMs, undefined, { signal });
    if (p.crash === true) process.exit(1);
    if (p.fail === true) throw new TaskFailure('echo: failure requested', { retryable: p.retryable !== false });
    if (p.hang === true) await new Promise<never>(() => {});
    return { echo: task.payload, taskId: task.taskId, attempt: task.attempt, pid: process.pid };
  },
  // Routed messages: echo the message with how much history came along.
  onMessage: (delivery) => ({ echo: delivery.message, conversationId: delivery.conversationId, historyLength: delivery.history.length, pid: process.pid }),
});

const shutdown = (): void => void worker.stop().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
worker.client.on('end', ({ error }) => error && die(error));
await worker.start();
