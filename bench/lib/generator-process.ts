import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Messages a load generator child sends back: ready once, then per job `measuring` edges and one outcome. */
export type GeneratorMessage<Result, Edge> =
  { type: 'ready' } | { type: 'measuring'; phase: Edge } | { type: 'result'; result: Result } | { type: 'failed'; message: string };

/**
 * A load generator running as its own process (so it never shares an event loop with the daemon
 * it measures), driven over IPC one job at a time: `{type: 'run', job}` in, one result out.
 */
export class GeneratorProcess<Job extends { label: string }, Result, Edge> {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly name: string,
  ) {}

  /** Fork `modulePath` under tsx (with --expose-gc, so it can tidy its heap between phases) and wait until it is ready. */
  static async start<Job extends { label: string }, Result, Edge>(modulePath: string, name: string): Promise<GeneratorProcess<Job, Result, Edge>> {
    const proc = fork(modulePath, [], { execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
      proc.on('message', (m: GeneratorMessage<Result, Edge>) => m.type === 'ready' && resolve());
    });
    proc.removeAllListeners('exit');
    return new GeneratorProcess<Job, Result, Edge>(proc, name);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Run one job; `onMeasuring` fires at the edges of its measured window. */
  run(job: Job, onMeasuring?: (edge: Edge) => void): Promise<Result> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${this.name} exited (${code}) during ${job.label}`));
      const onMessage = (m: GeneratorMessage<Result, Edge>): void => {
        if (m.type === 'measuring') onMeasuring?.(m.phase);
        if (m.type !== 'result' && m.type !== 'failed') return;
        this.proc.off('message', onMessage);
        this.proc.off('exit', onExit);
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(m.message));
      };
      this.proc.on('message', onMessage);
      this.proc.once('exit', onExit);
      this.proc.send({ type: 'run', job });
    });
  }

  /** Ask the child to exit; SIGKILL after 3 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    if (this.proc.connected) this.proc.send({ type: 'exit' });
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
