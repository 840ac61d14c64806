import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A child process that announced `{"msg":"listening","port":…,"url":…}` on stdout. */
export interface ListeningChild {
  proc: ChildProcess;
  port: number;
  url: string;
  /** Lines the child wrote to stdout (read to the end so nothing blocks on a full pipe). */
  lines: () => number;
  /** The first few stdout lines, for diagnostics. */
  firstLines: () => string[];
  stderr: () => string;
  /** SIGTERM, wait for exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Spawn `node <args>` and resolve once it logs its "listening" line. stdout is read to the
 * end for the child's whole life: a daemon that logs synchronously must never block on a pipe.
 */
export async function spawnListening(name: string, args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<ListeningChild> {
  const proc = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let lineCount = 0;
  const first: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const listening = new Promise<{ port: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "listening" line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lineCount++;
      if (first.length < 20) first.push(line);
      let parsed: { msg?: unknown; port?: unknown; url?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.msg === 'listening' && typeof parsed.port === 'number' && typeof parsed.url === 'string') {
        clearTimeout(timer);
        resolve({ port: parsed.port, url: parsed.url });
      }
    });
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  let bound: { port: number; url: string };
  try {
    bound = await listening;
  } catch (err) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw err;
  }
  return {
    proc,
    ...bound,
    lines: () => lineCount,
    firstLines: () => [...first],
    stderr: () => stderr,
    async stop(graceMs = 5_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
