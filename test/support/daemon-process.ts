import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built daemon (npm test builds first, so tests exercise the real artifact). */
export const DAEMON_BIN = fileURLToPath(new URL('../../dist/bin/coordd.js', import.meta.url));

export interface DaemonProcess {
  proc: ChildProcessWithoutNullStreams;
  port: number;
  url: string;
  httpUrl: string;
  /** Every stdout line so far, parsed. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first log line matching, waiting for it if need be. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Start the real daemon on port 0 and resolve once it has logged "listening". */
export async function startDaemon(env: Record<string, string> = {}, args: string[] = [], opts: { shellPrelude?: string } = {}): Promise<DaemonProcess> {
  // With a prelude (limits for fault tests, e.g. `ulimit -f`), bash sets it up and execs the daemon.
  const [cmd, argv] = opts.shellPrelude
    ? ['bash', ['-c', `${opts.shellPrelude} exec "$0" "$@"`, process.execPath, DAEMON_BIN, ...args]]
    : [process.execPath, [DAEMON_BIN, ...args]];
  const proc = spawn(cmd, argv, {
    // Tests never share a state file: memory unless a test gives its own COORDD_STORE (a temp path).
    env: { PATH: process.env.PATH ?? '', COORDD_PORT: '0', COORDD_LOG_LEVEL: 'info', COORDD_VALIDATE_RESULTS: 'true', COORDD_STORE: 'memory', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = { raw: line };
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.match(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });
  const waitForLog = (match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const found = logs.find(match);
    return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ match, resolve }));
  };
  const exited = once(proc, 'exit');
  const listening = await Promise.race([
    waitForLog((l) => l.msg === 'listening'),
    exited.then(([code]) => {
      throw new Error(`daemon exited with ${code} before listening: ${stderr}`);
    }),
  ]);
  const port = listening.port as number;
  return {
    proc,
    port,
    url: listening.url as string,
    httpUrl: `http://127.0.0.1:${port}`,
    logs,
    stderr: () => stderr,
    waitForLog,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Run the daemon expecting it to exit (bad configuration, --help): resolves with code and output. */
export async function runDaemon(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [DAEMON_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', COORDD_PORT: '0', COORDD_STORE: 'memory', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
