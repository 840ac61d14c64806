import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';

/** Open a raw upgrade; resolves with the HTTP status (101 when it opened) and the open socket, if any. */
async function upgrade(url: string, options: { origin?: string; protocols?: string[]; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: { ...(options.origin ? { origin: options.origin } : {}), ...options.headers } });
  ws.on('error', () => {});
  const [first, res] = (await Promise.race([once(ws, 'unexpected-response'), once(ws, 'open')])) as [unknown, { statusCode: number } | undefined];
  if (first === undefined || res === undefined) return { status: 101, ws };
  ws.terminate();
  return { status: res.statusCode, ws: undefined };
}

async function discover(ws: WebSocket): Promise<any> {
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'rpc.discover' }));
  const [data] = await once(ws, 'message');
  return JSON.parse(String(data));
}

async function closeSocket(ws: WebSocket | undefined): Promise<void> {
  if (!ws) return;
  const closed = once(ws, 'close');
  ws.close();
  await closed;
}

const metric = async (daemon: DaemonProcess, name: string): Promise<number> => {
  const text = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
};

describe('a web page cannot drive the daemon (Origin policy, real daemon)', () => {
  describe('with no tokens on loopback (every connection is admin)', () => {
    let daemon: DaemonProcess;
    before(async () => {
      daemon = await startDaemon({ COORDD_ALLOWED_ORIGINS: 'https://dash.example.com, http://127.0.0.1:9' });
    });
    after(async () => {
      await daemon.stop();
    });

    it('refuses a foreign origin with HTTP 403, logs it with the origin and counts it (cross-site WebSocket hijacking)', async () => {
      const before = await metric(daemon, 'coordd_origin_refusals_total');
      for (const origin of [
        'https://evil.example',
        'http://evil.example:' + daemon.port,
        'null',
        `https://127.0.0.1:${daemon.port}`,
        `http://127.0.0.1:${daemon.port + 1}`,
      ]) {
        expect((await upgrade(daemon.url, { origin })).status, origin).to.equal(403);
      }
      const line = await daemon.waitForLog((l) => l.msg === 'websocket upgrade refused: origin not allowed' && l.origin === 'https://evil.example');
      expect(line.level).to.equal('warn');
      expect(await metric(daemon, 'coordd_origin_refusals_total')).to.equal(before + 5);
    });

    it('refuses a page whose DNS name was rebound to 127.0.0.1 (Host and Origin agree, but not on a loopback name)', async () => {
      const host = `attacker.example:${daemon.port}`;
      expect((await upgrade(daemon.url, { origin: `http://${host}`, headers: { host } })).status).to.equal(403);
    });

    it("accepts the daemon's own origin, under each loopback name it is reached by", async () => {
      for (const [origin, host] of [
        [`http://127.0.0.1:${daemon.port}`, undefined],
        [`http://localhost:${daemon.port}`, `localhost:${daemon.port}`],
      ] as const) {
        const { status, ws } = await upgrade(daemon.url, { origin, headers: host ? { host } : {} });
        expect(status, origin).to.equal(101);
        expect((await discover(ws!)).result.openrpc).to.be.a('string');
        await closeSocket(ws);
      }
    });

    it('accepts an origin listed in COORDD_ALLOWED_ORIGINS, and no Origin at all (CLIs, SDKs, agents)', async () => {
      for (const origin of ['https://dash.example.com', 'http://127.0.0.1:9', undefined]) {
        const { status, ws } = await upgrade(daemon.url, origin ? { origin } : {});
        expect(status, String(origin)).to.equal(101);
        await closeSocket(ws);
      }
    });
  });

  it('refuses a bad COORDD_ALLOWED_ORIGINS entry at startup (exit 2, one line naming the variable)', async () => {
    const { runDaemon } = await import('../support/daemon-process.js');
    for (const bad of ['dash.example.com', 'https://dash.example.com/ui', 'ftp://x.example']) {
      const r = await runDaemon({ COORDD_ALLOWED_ORIGINS: bad });
      expect(r.code, bad).to.equal(2);
      expect(r.stderr.trim().split('\n'), bad).to.have.length(1);
      expect(r.stderr, bad).to.match(/^coordd: configuration error: COORDD_ALLOWED_ORIGINS: /);
    }
  });
});

describe('a token offered as a WebSocket subprotocol (browsers cannot set Authorization)', () => {
  const OPERATOR = 'op-token-0123456789abcdef';
  const AGENT = 'agent.token_0123456789~abc';
  let daemon: DaemonProcess;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-subproto-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, `${OPERATOR} operator\n${AGENT} agent\n`);
    daemon = await startDaemon({ COORDD_TOKENS_FILE: file, COORDD_LOG_LEVEL: 'debug' });
  });
  after(async () => {
    await daemon.stop();
  });

  it('accepts a valid token and echoes that same protocol back as the chosen one', async () => {
    for (const [token, role] of [
      [OPERATOR, 'operator'],
      [AGENT, 'agent'],
    ]) {
      const { status, ws } = await upgrade(daemon.url, { protocols: ['coordd.v1', `coordd.token.${token}`] });
      expect(status).to.equal(101);
      expect(ws!.protocol).to.equal(`coordd.token.${token}`);
      expect((await discover(ws!)).result.openrpc).to.be.a('string');
      await closeSocket(ws);
      await daemon.waitForLog((l) => l.msg === 'connection open' && l.role === role);
    }
  });

  it("works from a page of the daemon's own origin, as the dashboard will", async () => {
    const { status, ws } = await upgrade(daemon.url, { origin: `http://127.0.0.1:${daemon.port}`, protocols: [`coordd.token.${OPERATOR}`] });
    expect(status).to.equal(101);
    expect(ws!.protocol).to.equal(`coordd.token.${OPERATOR}`);
    await closeSocket(ws);
  });

  it('refuses an unknown token with 401, and a foreign origin with 403 even with a valid token', async () => {
    expect((await upgrade(daemon.url, { protocols: ['coordd.token.not-a-real-token-000000'] })).status).to.equal(401);
    expect((await upgrade(daemon.url, { protocols: ['coordd.v1'] })).status).to.equal(401);
    expect((await upgrade(daemon.url, { protocols: [`coordd.token.${OPERATOR}`], origin: 'https://evil.example' })).status).to.equal(403);
  });

  it('never writes a subprotocol token to the log', async () => {
    await upgrade(daemon.url, { protocols: ['coordd.token.leaked-subprotocol-token-1'] });
    const { ws } = await upgrade(daemon.url, { protocols: [`coordd.token.${OPERATOR}`] });
    await discover(ws!);
    await closeSocket(ws);
    await daemon.waitForLog((l) => l.msg === 'rpc' && l.method === 'rpc.discover');
    await daemon.waitForLog((l) => l.msg === 'websocket upgrade refused: missing or unknown token');
    const all = JSON.stringify(daemon.logs) + daemon.stderr();
    for (const secret of [OPERATOR, AGENT, 'leaked-subprotocol-token-1']) expect(all).not.to.contain(secret);
  });
});
