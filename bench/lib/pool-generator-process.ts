import { fileURLToPath } from 'node:url';
import { GeneratorProcess } from './generator-process.js';
import type { ClosedJob, OpenJob, PhaseResult, PoolJob, PoolJobResult, SetupJob, SetupResult, TeardownResult, WindowEdge } from './pool-protocol.js';

const GENERATOR = fileURLToPath(new URL('./pool-load-generator.ts', import.meta.url));

/** The pool bench's load generator child process (bench/lib/pool-load-generator.ts), with each job's result type. */
export interface PoolGeneratorProcess {
  readonly pid: number | undefined;
  run(job: SetupJob): Promise<SetupResult>;
  run(job: ClosedJob | OpenJob, onMeasuring?: (edge: WindowEdge) => void): Promise<PhaseResult>;
  run(job: { kind: 'teardown'; label: string }): Promise<TeardownResult>;
  stop(): Promise<void>;
}

export const PoolGeneratorProcess = {
  /** Fork the generator and wait until it is ready. */
  start: async (): Promise<PoolGeneratorProcess> =>
    (await GeneratorProcess.start<PoolJob, PoolJobResult, WindowEdge>(GENERATOR, 'pool load generator')) as unknown as PoolGeneratorProcess,
};
