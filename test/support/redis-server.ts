import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

let told = false;

/**
 * The redis-server binary the cluster tests start (COORDD_REDIS_SERVER, else the one on PATH).
 * Undefined when there is none (the tests skip, saying so once); with CI=true a missing server throws.
 */
export function findRedisServer(): string | undefined {
  const candidate = process.env.COORDD_REDIS_SERVER ?? 'redis-server';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return candidate;
  if (process.env.CI === 'true') throw new Error(`no redis-server (tried ${candidate}): CI needs it (apt-get install -y redis-server)`);
  if (!told) {
    told = true;
    console.log(`  (cluster tests skipped: no ${candidate} on PATH; install Debian's redis-server or set COORDD_REDIS_SERVER)`);
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The folder holding its AOF (kept across restart(), removed by stop()). */
  readonly dir: string;
  readonly proc: ChildProcess;
  /** kill -9 (no final fsync beyond what appendfsync already did). */
  kill(): Promise<void>;
  /** Start again on the same port; `empty` first deletes its data (a Redis that lost everything). */
  restart(opts?: { empty?: boolean }): Promise<void>;
  /** A command on a short-lived connection (tests inspect keys with it). */
  command(args: string[]): Promise<unknown>;
  /** Kill the server and remove its folder. */
  stop(): Promise<void>;
}

/**
 * Start a private redis-server for one test: a free port on loopback, its own temporary folder,
 * AOF on with `appendfsync always` (so kill -9 loses nothing acknowledged), no RDB snapshots,
 * never the system service. Resolves once it answers PING.
 */
export async function startRedis(binary: string, opts: { port?: number; extraArgs?: string[] } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'coordd-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    ...(opts.extraArgs ?? []),
  ];
  let proc = await launch(binary, args, port);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get proc() {
      return proc;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
    async restart(restartOpts = {}) {
      await server.kill();
      if (restartOpts.empty) rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      proc = await launch(binary, args, port);
    },
    async command(cmd) {
      const client = createClient({ url: server.url });
      client.on('error', () => undefined); // a server killed mid-command rejects the command; no uncaught 'error'
      await client.connect();
      try {
        return await client.sendCommand(cmd);
      } finally {
        client.destroy();
      }
    },
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function launch(binary: string, args: string[], port: number): Promise<ChildProcess> {
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (output.includes('Ready to accept connections')) {
        proc.stdout?.off('data', onData);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  await ready;
  return proc;
}
