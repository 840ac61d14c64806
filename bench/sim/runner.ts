import { Worker } from 'node:worker_threads';
import { runSimulation, type RunResult, type RunSpec } from './run.js';

/**
 * Run every spec, on `jobs` worker threads when more than one (each run is independent and
 * seeded, so results do not depend on how they are spread). Results come back in spec order.
 */
export async function runAll(specs: readonly RunSpec[], jobs: number, onDone: (done: number) => void = () => {}): Promise<RunResult[]> {
  const results: RunResult[] = new Array(specs.length);
  let done = 0;
  if (jobs <= 1) {
    for (let i = 0; i < specs.length; i++) {
      results[i] = await runSimulation(specs[i]!);
      onDone(++done);
    }
    return results;
  }
  // Workers load the TypeScript sources through tsx's loader, registered by a small bootstrap.
  const loader = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(loader)}; register(); await import(${JSON.stringify(entry)});`;
  let next = 0;
  const work = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(bootstrap, { eval: true });
      const feed = (): void => {
        if (next >= specs.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        const i = next++;
        worker.once('message', (msg: { ok: true; result: RunResult } | { ok: false; error: string }) => {
          if (!msg.ok) {
            void worker.terminate();
            reject(new Error(`run ${JSON.stringify(specs[i])} failed in a worker:\n${msg.error}`));
            return;
          }
          results[i] = msg.result;
          onDone(++done);
          feed();
        });
        worker.postMessage(specs[i]);
      };
      worker.once('error', reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.min(jobs, specs.length) }, work));
  return results;
}
