import { parentPort } from 'node:worker_threads';
import { runSimulation, type RunSpec } from './run.js';

/** A bench worker thread: runs the simulations it is sent, one at a time, and posts each result back. */
parentPort!.on('message', (spec: RunSpec) => {
  runSimulation(spec).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
