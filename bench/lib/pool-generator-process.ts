import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ClosedJob, FromPoolGenerator, WindowEdge, OpenJob, PhaseResult, PoolJob, PoolJobResult, SetupJob, SetupResult, TeardownResult, ToPoolGenerator } from './pool-protocol.js';

const GENERATOR = fileURLToPath(new URL('./pool-load-generator.ts', import.meta.url));

/** The pool bench's load generator child process, driven over IPC: one job at a time. */
export class PoolGeneratorProcess {
  private constructor(private readonly proc: ChildProcess) {}

  /** Fork bench/lib/pool-load-generator.ts under tsx and wait until it is ready. */
  static async start(): Promise<PoolGeneratorProcess> {
    const proc = fork(GENERATOR, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`pool load generator exited (${code}) before it was ready`)));
      proc.on('message', (m: FromPoolGenerator) => m.type === 'ready' && resolve());
    });
    proc.removeAllListeners('exit');
    return new PoolGeneratorProcess(proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  run(job: SetupJob): Promise<SetupResult>;
  run(job: ClosedJob | OpenJob, onMeasuring?: (edge: WindowEdge) => void): Promise<PhaseResult>;
  run(job: { kind: 'teardown'; label: string }): Promise<TeardownResult>;
  /** Run one job; `onMeasuring` fires shortly before the measured window, when it opens and when it closes. */
  run(job: PoolJob, onMeasuring?: (edge: WindowEdge) => void): Promise<PoolJobResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`pool load generator exited (${code}) during ${job.label}`));
      const onMessage = (m: FromPoolGenerator): void => {
        if (m.type === 'measuring') onMeasuring?.(m.phase);
        if (m.type !== 'result' && m.type !== 'failed') return;
        this.proc.off('message', onMessage);
        this.proc.off('exit', onExit);
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(m.message));
      };
      this.proc.on('message', onMessage);
      this.proc.once('exit', onExit);
      this.proc.send({ type: 'run', job } satisfies ToPoolGenerator);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    if (this.proc.connected) this.proc.send({ type: 'exit' } satisfies ToPoolGenerator);
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
