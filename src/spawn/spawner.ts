import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import { systemClock, type Clock } from '../time/clock.js';
import { isBuiltIn, type AgentTemplate } from './templates.js';

/** A worker process the daemon started. */
export interface SpawnedWorker {
  readonly spawnId: string;
  readonly template: string;
  readonly proc: ChildProcess;
  agentId: string | undefined;
  /** Set before the daemon stops it, so its exit is not treated as a crash. */
  stopping: boolean;
  exitCode: number | null | undefined;
  readonly stderrTail: string[];
  restarts: number;
}

export interface SpawnerDeps {
  log: Log;
  ids: IdGenerator;
  /** Register the join token of one child (it lets that child connect, and reconnect, as an agent). */
  issueJoinToken(token: string, spawnId: string): void;
  revokeJoinToken(token: string): void;
  /** The URL children connect back to. */
  url(): string;
  /** A registered worker exited without being asked to (its socket close requeues its tasks). */
  onCrash?(worker: SpawnedWorker): void;
  /** Where the spawn timeout, the SIGKILL grace and restart delays run. @defaultValue systemClock */
  clock?: Clock;
}

export interface SpawnerOptions {
  templates: ReadonlyMap<string, AgentTemplate>;
  /** Time a child has to connect and register. @defaultValue 15000 */
  spawnTimeoutMs: number;
  /** Replacements of one crashing worker line before giving up. @defaultValue 5 */
  maxRestarts: number;
  /** Time a stopped worker has between SIGTERM and SIGKILL, unless stop() is given another. @defaultValue 5000 */
  stopGraceMs: number;
  /** Added to every worker's environment (a template's own env wins). @defaultValue none */
  env?: Readonly<Record<string, string>>;
  /** Wrap commands so the OS sends SIGTERM when the daemon dies ({@link deathSignalWrapper}). @defaultValue deathSignalWrapper() */
  wrapper?: string[];
}

export const DEFAULT_SPAWNER_OPTIONS: Readonly<Omit<SpawnerOptions, 'templates' | 'env' | 'wrapper'>> = Object.freeze({
  spawnTimeoutMs: 15_000,
  maxRestarts: 5,
  stopGraceMs: 5000,
});

const STDERR_LINES = 20;

/**
 * On Linux, util-linux's `setpriv --pdeathsig SIGTERM --` makes the kernel send SIGTERM to a
 * worker when the daemon dies, for templates that do not watch their stdin. The signal follows
 * the thread that forked the child: Node forks on its main thread, which lives as long as the
 * process. Elsewhere, or without setpriv, none: workers rely on the stdin pipe.
 */
export function deathSignalWrapper(platform: NodeJS.Platform = process.platform, candidates = ['/usr/bin/setpriv', '/bin/setpriv']): string[] {
  if (platform !== 'linux') return [];
  const setpriv = candidates.find((c) => existsSync(c));
  return setpriv === undefined ? [] : [setpriv, '--pdeathsig', 'SIGTERM', '--'];
}

const DEATH_SIGNAL_WRAPPER = deathSignalWrapper();
const PASS_THROUGH_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_OPTIONS', 'NODE_V8_COVERAGE', 'TMPDIR'];

/**
 * Starts worker processes from named templates and supervises them. Each child gets the daemon's
 * URL and a join token of its own in a clean environment (the daemon's own secrets are not passed
 * on). The token is issued for that one child and revoked when it exits, so the child can
 * reconnect but nothing else can use it afterwards. spawn() resolves once every child has
 * registered, or fails with its stderr tail.
 */
export class Spawner {
  private readonly workers = new Map<string, SpawnedWorker>();
  private readonly waiting = new Map<string, { resolve: (w: SpawnedWorker) => void; reject: (e: Error) => void }>();

  private readonly options: SpawnerOptions;
  private readonly clock: Clock;

  constructor(
    private readonly deps: SpawnerDeps,
    options: Pick<SpawnerOptions, 'templates'> & Partial<SpawnerOptions>,
  ) {
    this.options = { ...DEFAULT_SPAWNER_OPTIONS, ...options };
    this.clock = deps.clock ?? systemClock;
  }

  /** Start `count` workers of `template`; resolves with them once all have registered. */
  async spawn(count: number, template: string): Promise<SpawnedWorker[]> {
    const t = this.options.templates.get(template);
    if (!t) throw new AppError('UNKNOWN_TEMPLATE', `no template ${template}`, { template, known: [...this.options.templates.keys()] });
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.start(template, t, 0)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const r of results) if (r.status === 'fulfilled') void this.stop(r.value, 2000);
      throw failed.reason;
    }
    return results.map((r) => (r as PromiseFulfilledResult<SpawnedWorker>).value);
  }

  /** Called when an agent registers on a connection authenticated with a join token. */
  registered(spawnId: string, agentId: string): void {
    const worker = this.workers.get(spawnId);
    if (!worker) return;
    worker.agentId = agentId;
    this.waiting.get(spawnId)?.resolve(worker);
    this.waiting.delete(spawnId);
  }

  /** The worker that registered as `agentId`, if the daemon spawned it. */
  byAgent(agentId: string): SpawnedWorker | undefined {
    for (const w of this.workers.values()) if (w.agentId === agentId) return w;
    return undefined;
  }

  bySpawnId(spawnId: string): SpawnedWorker | undefined {
    return this.workers.get(spawnId);
  }

  /** Whether a template of that name is configured. */
  /** The templates by name, built-in or configured, with how many of their workers run now. */
  templates(): { name: string; builtIn: boolean; restart: 'on-failure' | 'never'; running: number }[] {
    const running = new Map<string, number>();
    for (const w of this.list()) running.set(w.template, (running.get(w.template) ?? 0) + 1);
    return [...this.options.templates].map(([name, t]) => ({ name, builtIn: isBuiltIn(t), restart: t.restart, running: running.get(name) ?? 0 }));
  }

  hasTemplate(name: string): boolean {
    return this.options.templates.has(name);
  }

  /** Live workers. */
  list(): SpawnedWorker[] {
    return [...this.workers.values()];
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(worker: SpawnedWorker, graceMs = this.options.stopGraceMs): Promise<void> {
    worker.stopping = true;
    if (worker.exitCode !== undefined) return;
    const exited = new Promise<void>((resolve) => worker.proc.once('exit', () => resolve()));
    worker.proc.kill('SIGTERM');
    const timer = this.clock.setTimeout(() => worker.proc.kill('SIGKILL'), graceMs);
    await exited;
    this.clock.clearTimeout(timer);
  }

  /** Stop every worker. */
  async stopAll(graceMs = this.options.stopGraceMs): Promise<number> {
    const all = this.list();
    await Promise.all(all.map((w) => this.stop(w, graceMs)));
    return all.length;
  }

  private start(templateName: string, t: AgentTemplate, restarts: number): Promise<SpawnedWorker> {
    const spawnId = this.deps.ids();
    const token = randomBytes(24).toString('base64url');
    this.deps.issueJoinToken(token, spawnId);
    const env: Record<string, string> = {};
    for (const k of PASS_THROUGH_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, this.options.env, t.env, {
      COORDD_URL: this.deps.url(),
      COORDD_JOIN_TOKEN: token,
      COORDD_SPAWN_ID: spawnId,
      COORDD_PARENT_PIPE: 'stdin',
    });
    // stdin is a pipe the daemon never writes to: it reaches EOF when the daemon dies (even by
    // SIGKILL), and worker libraries exit then (COORDD_PARENT_PIPE tells them to watch it).
    const [wrapper, ...wrapperArgs] = this.options.wrapper ?? DEATH_SIGNAL_WRAPPER;
    const [command, args] = wrapper === undefined ? [t.command, t.args] : [wrapper, [...wrapperArgs, t.command, ...t.args]];
    const proc = spawn(command, args, { cwd: t.cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
    proc.stdin?.on('error', () => {}); // never written; a worker that closes its stdin is its own business
    const worker: SpawnedWorker = { spawnId, template: templateName, proc, agentId: undefined, stopping: false, exitCode: undefined, stderrTail: [], restarts };
    this.workers.set(spawnId, worker);
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      worker.stderrTail.push(...chunk.split('\n').filter((l) => l.length > 0));
      worker.stderrTail.splice(0, Math.max(0, worker.stderrTail.length - STDERR_LINES));
    });
    const log = this.deps.log;
    return new Promise<SpawnedWorker>((resolve, reject) => {
      const fail = (detail: string, data: Record<string, unknown>): void => {
        this.waiting.delete(spawnId);
        this.deps.revokeJoinToken(token);
        reject(new AppError('SPAWN_FAILED', detail, { template: templateName, ...data, stderrTail: worker.stderrTail.join('\n') }));
      };
      const timer = this.clock.setTimeout(() => {
        fail(`worker did not register within ${this.options.spawnTimeoutMs} ms`, { pid: proc.pid });
        void this.stop(worker, 1000);
      }, this.options.spawnTimeoutMs);
      this.waiting.set(spawnId, {
        resolve: (w) => {
          this.clock.clearTimeout(timer);
          log.info({ spawnId, agentId: w.agentId, pid: proc.pid, template: templateName }, 'spawned worker registered');
          resolve(w);
        },
        reject,
      });
      proc.once('error', (err) => {
        this.clock.clearTimeout(timer);
        fail(`cannot start ${t.command}: ${err.message}`, {});
      });
      proc.once('exit', (code, signal) => {
        this.clock.clearTimeout(timer);
        this.deps.revokeJoinToken(token);
        worker.exitCode = code;
        this.workers.delete(spawnId);
        if (this.waiting.has(spawnId)) {
          fail(`worker exited with ${code ?? signal} before registering`, { exitCode: code, signal });
          return;
        }
        this.onExit(worker, t, code, signal);
      });
    });
  }

  private onExit(worker: SpawnedWorker, t: AgentTemplate, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker.stopping) {
      this.deps.log.info({ agentId: worker.agentId, pid: worker.proc.pid, code, signal }, 'spawned worker stopped');
      return;
    }
    this.deps.log.warn(
      { agentId: worker.agentId, pid: worker.proc.pid, code, signal, stderrTail: worker.stderrTail.slice(-5) },
      'spawned worker exited unexpectedly',
    );
    this.deps.onCrash?.(worker);
    if (t.restart !== 'on-failure' || worker.restarts >= this.options.maxRestarts) return;
    const delay = 250 * 2 ** worker.restarts;
    this.clock.setTimeout(() => {
      this.start(worker.template, t, worker.restarts + 1).then(
        (w) => this.deps.log.info({ replaced: worker.agentId, agentId: w.agentId, pid: w.proc.pid }, 'replaced crashed worker'),
        (err: unknown) => this.deps.log.error({ err, template: worker.template }, 'could not replace crashed worker'),
      );
    }, delay);
  }
}
