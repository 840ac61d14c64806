import { fileURLToPath } from 'node:url';
import { GeneratorProcess } from './generator-process.js';
import type { LoadJob, LoadResult } from './load-protocol.js';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/** The signals bench's load generator child process (bench/lib/load-generator.ts). */
export type LoadGeneratorProcess = GeneratorProcess<LoadJob, LoadResult, 'start' | 'end'>;

export const LoadGeneratorProcess = {
  /** Fork the generator and wait until it is ready. */
  start: (): Promise<LoadGeneratorProcess> => GeneratorProcess.start<LoadJob, LoadResult, 'start' | 'end'>(GENERATOR, 'load generator'),
};
