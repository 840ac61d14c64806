import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FromGenerator, LoadJob, LoadResult, ToGenerator } from './load-protocol.js';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/** The load generator child process, driven over IPC: one job at a time. */
export class LoadGeneratorProcess {
  private constructor(private readonly proc: ChildProcess) {}

  /** Fork bench/lib/load-generator.ts under tsx and wait until it is ready. */
  static async start(): Promise<LoadGeneratorProcess> {
    const proc = fork(GENERATOR, [], { execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`load generator exited (${code}) before it was ready`)));
      proc.on('message', (m: FromGenerator) => m.type === 'ready' && resolve());
    });
    proc.removeAllListeners('exit');
    return new LoadGeneratorProcess(proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Run one job; `onMeasuring` fires when the measured window opens and closes. */
  run(job: LoadJob, onMeasuring?: (phase: 'start' | 'end') => void): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`load generator exited (${code}) during ${job.label}`));
      const onMessage = (m: FromGenerator): void => {
        if (m.type === 'measuring') onMeasuring?.(m.phase);
        if (m.type !== 'result' && m.type !== 'failed') return;
        this.proc.off('message', onMessage);
        this.proc.off('exit', onExit);
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(m.message));
      };
      this.proc.on('message', onMessage);
      this.proc.once('exit', onExit);
      this.proc.send({ type: 'run', job } satisfies ToGenerator);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    if (this.proc.connected) this.proc.send({ type: 'exit' } satisfies ToGenerator);
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
