/** bench:python's TypeScript worker: the AgentWorker answering every task with null (settings from COORDD_*). */
import { AgentWorker, fromEnv } from '../../src/client/index.js';

const worker = new AgentWorker({ name: 'noop-ts', type: 'noop', capabilities: ['noop'], capacity: 16, ...fromEnv(), handler: () => null });
await worker.start();
