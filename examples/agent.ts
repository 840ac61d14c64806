/**
 * A minimal coordd agent serving the "summarize" capability (it returns the text's length).
 * Run the daemon (`npx coordd`), then in another shell, from the repository:
 *   npx tsx examples/agent.ts              # COORDD_URL (default ws://127.0.0.1:7420/rpc) / COORDD_TOKEN
 * and submit work as an operator:
 *   npx tsx examples/operator.ts "Hello, agents"
 *   npx coordd submit --type summarize --capability summarize --payload '{"text":"Hello, agents"}' --wait
 * Published code imports from 'coordd/client' instead of '../src/client/index.js'.
 */
import { AgentWorker, fromEnv } from '../src/client/index.js';

const worker = new AgentWorker({
  name: 'example-summarizer',
  capabilities: ['summarize'],
  capacity: 4,
  ...fromEnv({ COORDD_URL: 'ws://127.0.0.1:7420/rpc', ...process.env }),
  handler: async (task, ctx) => {
    const text = String((task.payload as { text?: unknown } | null)?.text ?? '');
    ctx.progress(0.5, 'counting');
    return { length: text.length, words: text.split(/\s+/).filter(Boolean).length };
  },
});

const { agentId } = await worker.start();
console.log(`agent ${agentId} registered; Ctrl-C stops it`);
process.once('SIGINT', () => void worker.stop());
