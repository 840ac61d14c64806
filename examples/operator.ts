/**
 * A minimal coordd operator: submits a task, follows it through `task.updated` notifications, and
 * waits for its result. Run the daemon and an agent first (README, "Walkthrough"), then:
 *   npx tsx examples/operator.ts "Some text to summarize"
 * COORDD_URL (default ws://127.0.0.1:7420/rpc) and COORDD_TOKEN (an operator token) are read from the
 * environment. Published code imports from 'coordd/client' instead of '../src/client/index.js'.
 */
import { CoordClient } from '../src/client/index.js';

const client = await CoordClient.connect({
  url: process.env.COORDD_URL ?? 'ws://127.0.0.1:7420/rpc',
  token: process.env.COORDD_TOKEN,
  reconnect: false,
});

// Sent to this connection for every state change of the tasks it submitted with `subscribe: true`.
client.handle('task.updated', (update) => {
  const { taskId, state, agentId } = update as { taskId: string; state: string; agentId?: string };
  console.log(`task ${taskId}: ${state}${agentId ? ` on ${agentId}` : ''}`);
});

const text = process.argv[2] ?? 'Hello, agents';
const { taskId } = await client.assign({ type: 'summarize', requiredCapabilities: ['summarize'], payload: { text }, subscribe: true });
const task = await client.waitTask(taskId, 60_000);
console.log(task.state === 'COMPLETED' ? `result: ${JSON.stringify(task.result)}` : `ended ${task.state}: ${task.error?.message ?? ''}`);
await client.close();
process.exitCode = task.state === 'COMPLETED' ? 0 : 1;
