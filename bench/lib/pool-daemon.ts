import type { ChildProcess } from 'node:child_process';
import { spawnListening } from './child-process.js';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * Start `node <nodeArgs> <bin>` on port 0 and resolve once it has written its "listening" line
 * (part of the process contract: written whatever COORDD_LOG_LEVEL says), which carries the port.
 * Without a COORDD_STORE in `env` the daemon gets the default store kind (SQLite) in a fresh temp
 * file of its own, removed when it stops: no two runs share state, and nothing lands in ./data.
 */
export async function startDaemon(bin: string, nodeArgs: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<DaemonChild> {
  const dir = env.COORDD_STORE === undefined ? mkdtempSync(join(tmpdir(), 'coordd-bench-')) : undefined;
  const store: Record<string, string> = dir === undefined ? {} : { COORDD_STORE: `sqlite:${join(dir, 'coordd.db')}` };
  const removeDir = (): void => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  let child: Awaited<ReturnType<typeof spawnListening>>;
  try {
    child = await spawnListening('coordd', [...nodeArgs, bin], { ...env, ...store, COORDD_PORT: '0' }, timeoutMs);
  } catch (err) {
    removeDir();
    throw err;
  }
  return {
    proc: child.proc,
    port: child.port,
    // Loopback whatever the bind address: the bench always runs next to the daemon.
    url: `ws://127.0.0.1:${child.port}/rpc`,
    httpUrl: `http://127.0.0.1:${child.port}`,
    lineCount: child.lines,
    firstLines: child.firstLines,
    stderr: child.stderr,
    stop: async (graceMs = 10_000) => {
      try {
        return await child.stop(graceMs);
      } finally {
        removeDir();
      }
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
