import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

/** A daemon child process, ready to take connections. */
export interface DaemonChild {
  proc: ChildProcess;
  port: number;
  /** ws://127.0.0.1:PORT/rpc */
  url: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** stdout lines so far (at warn: "listening", warnings and errors), the first few kept. */
  lineCount: () => number;
  firstLines: () => string[];
  stderr: () => string;
  /** SIGTERM, wait for exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const KEPT_LINES = 20;

/**
 * Start `node <nodeArgs> <bin>` on port 0 and resolve once it has written its "listening" line
 * (part of the process contract: written whatever COORDD_LOG_LEVEL says), which carries the port.
 */
export async function startDaemon(bin: string, nodeArgs: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<DaemonChild> {
  const proc = spawn(process.execPath, [...nodeArgs, bin], {
    env: { PATH: process.env.PATH ?? '', ...env, COORDD_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let lineCount = 0;
  const lines: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coordd: no "listening" line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    // Read stdout to the end for the child's whole life: a daemon logging synchronously must never block on a pipe.
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lineCount++;
      if (lines.length < KEPT_LINES) lines.push(line);
      let parsed: { msg?: unknown; port?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.msg === 'listening' && typeof parsed.port === 'number') {
        clearTimeout(timer);
        resolve(parsed.port);
      }
    });
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`coordd exited (${code ?? signal}) before listening; stdout: ${lines.join('\n')} stderr: ${stderr}`));
    });
  });
  let port: number;
  try {
    port = await listening;
  } catch (err) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw err;
  }
  return {
    proc,
    port,
    // Loopback whatever the bind address: the bench always runs next to the daemon.
    url: `ws://127.0.0.1:${port}/rpc`,
    httpUrl: `http://127.0.0.1:${port}`,
    lineCount: () => lineCount,
    firstLines: () => [...lines],
    stderr: () => stderr,
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** One JSON-RPC call on a fresh connection (pool.status at the end of a run: not on any hot path). */
export async function rpcCall<T>(url: string, method: string, params: object = {}): Promise<T> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  try {
    await once(ws, 'open');
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
    const [data] = (await once(ws, 'message')) as [Buffer];
    const reply = JSON.parse(data.toString()) as { result?: T; error?: unknown };
    if (reply.error !== undefined || reply.result === undefined) throw new Error(`${method}: ${data.toString()}`);
    return reply.result;
  } finally {
    ws.close();
  }
}
