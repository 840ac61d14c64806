import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoordClient } from '../../src/client/index.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/agent.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A port nothing listens on now (the daemon takes it later). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('examples/agent.ts (a real process)', function () {
  this.timeout(60_000);
  let agent: ChildProcessWithoutNullStreams | undefined;
  let daemon: DaemonProcess | undefined;
  afterEach(async () => {
    if (agent && agent.exitCode === null) {
      const gone = once(agent, 'exit');
      agent.kill('SIGKILL');
      await gone;
    }
    await daemon?.stop();
    agent = undefined;
    daemon = undefined;
  });

  it('started before the daemon, it says it is waiting, retries, and registers once the daemon is up', async () => {
    const port = await freePort();
    agent = spawn(process.execPath, ['--import', 'tsx', EXAMPLE], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', COORDD_URL: `ws://127.0.0.1:${port}/rpc` },
    });
    const lines: string[] = [];
    const seen = (pattern: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => pattern.test(l));
        if (found) return resolve(found);
        const rl = createInterface({ input: agent!.stdout });
        rl.on('line', (l) => pattern.test(l) && (rl.close(), resolve(l)));
        agent!.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${lines.join('\n')}`)));
      });
    createInterface({ input: agent.stdout }).on('line', (l) => lines.push(l));
    expect(await seen(/waiting for the daemon at ws:\/\/127\.0\.0\.1:\d+\/rpc \(attempt 2/)).to.match(/retrying in \d+ ms/);
    daemon = await startDaemon({ COORDD_PORT: String(port) });
    const registered = await seen(/^agent \S+ registered/);
    const agentId = registered.split(' ')[1]!;
    const op = await CoordClient.connect({ url: daemon.url, reconnect: false });
    try {
      const { taskId } = await op.assign({ type: 'summarize', requiredCapabilities: ['summarize'], payload: { text: 'hello agents' } });
      expect(await op.waitTask(taskId, 10_000)).to.deep.include({ state: 'COMPLETED', agentId, result: { length: 12, words: 2 } });
    } finally {
      await op.close();
    }
  });
});
