import { expect } from 'chai';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CoordClient } from '../../src/client/index.js';
import { runDaemon, startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { makeTestCertificate, type TestCertificate } from '../support/test-certificate.js';

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('TLS: wss:// and https:// on one port (real daemon, certificate made in the test)', function () {
  this.timeout(60_000);
  let cert: TestCertificate | undefined;
  let daemon: DaemonProcess;
  const TOKEN = 'tls-operator-token-0123456789';

  before(async function () {
    cert = makeTestCertificate();
    if (!cert) return this.skip();
    daemon = await startDaemon({ COORDD_TLS_CERT: cert.certFile, COORDD_TLS_KEY: cert.keyFile, COORDD_TOKEN: TOKEN });
  });
  after(async () => {
    await daemon?.stop();
  });

  it('says wss:// in the listening line and serves JSON-RPC over it to the client library with a custom CA', async () => {
    expect(daemon.url).to.equal(`wss://127.0.0.1:${daemon.port}/rpc`);
    const client = await CoordClient.connect({ url: daemon.url, token: TOKEN, reconnect: false, wsOptions: { ca: cert!.cert } });
    expect(await client.request('rpc.discover')).to.have.property('openrpc');
    await client.close();
  });

  it('serves /healthz and /metrics over https://, and refuses a client that does not trust the certificate', async () => {
    const base = `https://127.0.0.1:${daemon.port}`;
    expect(await httpsGet(`${base}/healthz`, cert!.cert)).to.deep.equal({ status: 200, body: '{"status":"ok"}' });
    expect((await httpsGet(`${base}/metrics`, cert!.cert)).body).to.contain('coordd_ws_connections');
    const untrusting = await CoordClient.connect({ url: daemon.url, token: TOKEN, reconnect: false }).then(
      () => 'connected',
      (err: Error) => err.message,
    );
    expect(untrusting).to.match(/self.signed|certificate/i);
  });

  it('speaks no plain ws:// on that port', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.port}/rpc`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const [outcome] = await Promise.race([
      once(ws, 'error').then(() => ['error']),
      once(ws, 'close').then(() => ['close']),
      once(ws, 'open').then(() => ['open']),
    ]);
    ws.terminate();
    expect(outcome).not.to.equal('open');
  });

  it('takes https:// as its own origin', async () => {
    for (const [origin, status] of [
      [`https://127.0.0.1:${daemon.port}`, 101],
      [`http://127.0.0.1:${daemon.port}`, 403],
    ] as const) {
      const ws = new WebSocket(daemon.url, { ca: cert!.cert, headers: { origin, authorization: `Bearer ${TOKEN}` } });
      ws.on('error', () => {});
      const [, res] = (await Promise.race([once(ws, 'unexpected-response'), once(ws, 'open')])) as [unknown, { statusCode: number } | undefined];
      ws.terminate();
      expect(res?.statusCode ?? 101, origin).to.equal(status);
    }
  });

  it('lets spawned workers connect back over wss:// (they are given the certificate to trust)', async () => {
    const client = await CoordClient.connect({ url: daemon.url, token: TOKEN, reconnect: false, wsOptions: { ca: cert!.cert } });
    try {
      const spawned = await client.request('pool.spawn', { count: 1 });
      expect(spawned.agentIds).to.have.length(1);
      const task = await client.assign({ type: 'echo', payload: { over: 'tls' } });
      expect((await client.waitTask(task.taskId, 10_000)).result).to.deep.include({ echo: { over: 'tls' } });
    } finally {
      await client.close();
    }
  });

  it('refuses a missing or bad certificate or key before listening: exit 2, one line naming the variable', async () => {
    const garbage = join(cert!.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a pem file\n');
    const other = makeTestCertificate()!;
    const cases: [Record<string, string>, RegExp][] = [
      [
        { COORDD_TLS_CERT: join(cert!.dir, 'missing.pem'), COORDD_TLS_KEY: cert!.keyFile },
        /^coordd: configuration error: COORDD_TLS_CERT: cannot read .*ENOENT/,
      ],
      [
        { COORDD_TLS_CERT: cert!.certFile, COORDD_TLS_KEY: join(cert!.dir, 'missing.pem') },
        /^coordd: configuration error: COORDD_TLS_KEY: cannot read .*ENOENT/,
      ],
      [{ COORDD_TLS_CERT: garbage, COORDD_TLS_KEY: cert!.keyFile }, /^coordd: configuration error: COORDD_TLS_CERT: .* holds no PEM certificate/],
      [{ COORDD_TLS_CERT: cert!.certFile, COORDD_TLS_KEY: garbage }, /^coordd: configuration error: COORDD_TLS_KEY: .* holds no unencrypted PEM private key/],
      [
        { COORDD_TLS_CERT: cert!.certFile, COORDD_TLS_KEY: other.keyFile },
        /^coordd: configuration error: COORDD_TLS_KEY: .* is not the key of the certificate/,
      ],
      [{ COORDD_TLS_CERT: cert!.certFile }, /^coordd: configuration error: COORDD_TLS_KEY: must be set together with COORDD_TLS_CERT/],
      [{ COORDD_TLS_KEY: cert!.keyFile }, /^coordd: configuration error: COORDD_TLS_CERT: must be set together with COORDD_TLS_KEY/],
    ];
    for (const [env, pattern] of cases) {
      const r = await runDaemon(env);
      expect(r.code, JSON.stringify(env)).to.equal(2);
      expect(r.stderr.trim().split('\n'), JSON.stringify(env)).to.have.length(1);
      expect(r.stderr, JSON.stringify(env)).to.match(pattern);
      expect(r.stdout).not.to.contain('listening');
    }
  });
});
