/**
 * A minimal coordd agent serving the "summarize" capability (it returns the text's length).
 * Run the daemon (`npx coordd`), then in another shell, from the repository:
 *   npx tsx examples/agent.ts              # COORDD_URL (default ws://127.0.0.1:7420/rpc) / COORDD_TOKEN
 * (started first, it waits for the daemon to come up), and submit work as an operator:
 *   npx tsx examples/operator.ts "Hello, agents"
 *   npx coordd submit --type summarize --capability summarize --payload '{"text":"Hello, agents"}' --wait
 * Published code imports from 'coordd/client' instead of '../src/client/index.js'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentWorker, ClientError, fromEnv } from '../src/client/index.js';

const connection = fromEnv({ COORDD_URL: 'ws://127.0.0.1:7420/rpc', ...process.env });

const newWorker = (): AgentWorker =>
  new AgentWorker({
    name: 'example-summarizer',
    capabilities: ['summarize'],
    capacity: 4,
    ...connection,
    handler: async (task, ctx) => {
      const text = String((task.payload as { text?: unknown } | null)?.text ?? '');
      ctx.progress(0.5, 'counting');
      return { length: text.length, words: text.split(/\s+/).filter(Boolean).length };
    },
  });

/** Start a worker, retrying the first connection (0.25 s, doubling up to 5 s) while the daemon is not up yet. */
async function startWhenUp(): Promise<AgentWorker> {
  for (let attempt = 1, delayMs = 250; ; attempt++, delayMs = Math.min(delayMs * 2, 5000)) {
    const worker = newWorker();
    try {
      await worker.start();
      return worker;
    } catch (err) {
      // Only "nothing listens there yet" is worth waiting for; a refused token or a bad URL is not.
      if (!(err instanceof ClientError) || err.code !== 'CONNECT_FAILED') throw err;
      await worker.stop();
      console.log(`waiting for the daemon at ${connection.url} (attempt ${attempt}: ${err.message}); retrying in ${delayMs} ms`);
      await sleep(delayMs);
    }
  }
}

const worker = await startWhenUp();
console.log(`agent ${worker.agentId} registered; Ctrl-C stops it`);
process.once('SIGINT', () => void worker.stop());
