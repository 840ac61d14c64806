import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

const OPERATOR = 'op-token-0123456789abcdef';
const AGENT = 'agent-token-0123456789abcdef';
const ENV_OPERATOR = 'env-operator-token-0123456789';

async function refusedStatus(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  const [, res] = (await Promise.race([once(ws, 'unexpected-response'), once(ws, 'open')])) as [unknown, { statusCode: number } | undefined];
  ws.terminate();
  return res?.statusCode ?? 101;
}

for (const format of ['lines', 'json'] as const) {
  describe(`auth with a tokens file (${format})`, () => {
    let daemon: DaemonProcess;

    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'coordd-auth-'));
      const file = join(dir, 'tokens');
      writeFileSync(
        file,
        format === 'lines'
          ? `# comment\n${OPERATOR} operator\n${AGENT} agent\n`
          : JSON.stringify({
              tokens: [
                { token: OPERATOR, role: 'operator' },
                { token: AGENT, role: 'agent' },
              ],
            }),
      );
      daemon = await startDaemon({ COORDD_TOKENS_FILE: file, COORDD_TOKEN: ENV_OPERATOR, COORDD_LOG_LEVEL: 'debug' });
    });
    after(async () => {
      await daemon.stop();
    });

    it('refuses an upgrade without a token, or with an unknown one, with HTTP 401', async () => {
      expect(await refusedStatus(daemon.url, {})).to.equal(401);
      expect(await refusedStatus(daemon.url, { authorization: 'Bearer not-a-real-token-000000' })).to.equal(401);
      expect(await refusedStatus(daemon.url, { authorization: OPERATOR })).to.equal(401);
    });

    it('accepts known tokens, including COORDD_TOKEN as operator', async () => {
      for (const token of [OPERATOR, AGENT, ENV_OPERATOR]) {
        const c = await TestClient.connect(daemon.url, token);
        expect(await c.request('rpc.discover')).to.have.property('openrpc');
        await c.close();
      }
    });

    it('lets methods declare roles: a registered agent may signal but not use router.select', async () => {
      const agent = await TestClient.connect(daemon.url, AGENT);
      await agent.request('agent.register', { agentId: 'x1', capabilities: [], capacity: 1 });
      expect((await agent.request('coordination.signal', { agentId: 'x1', signalType: 'load', value: 0.3 })).agentId).to.equal('x1');
      const refused = await agent.call('router.select', {});
      expect(refused.error.code).to.equal(-32001);
      expect(refused.error.data.name).to.equal('FORBIDDEN');
      const operator = await TestClient.connect(daemon.url, OPERATOR);
      expect((await operator.request('router.select', {})).agentId).to.equal('x1');
      await Promise.all([agent.close(), operator.close()]);
    });

    it('refuses router.route and conversation.* to an agent connection with FORBIDDEN, before looking at params', async () => {
      const agent = await TestClient.connect(daemon.url, AGENT);
      const calls: [string, object][] = [
        ['router.route', { message: 'hi' }],
        ['conversation.get', { conversationId: 'c1' }],
        ['conversation.list', {}],
        ['conversation.close', { conversationId: 'c1' }],
        ['conversation.get', { conversationId: 'not valid' }],
      ];
      for (const [method, params] of calls) {
        const refused = await agent.call(method, params);
        expect(refused.error?.code, method).to.equal(-32001);
        expect(refused.error.data, method).to.deep.include({ name: 'FORBIDDEN', role: 'agent', allowed: ['operator', 'admin'] });
      }
      // The operator reaches the methods themselves (no agent to route to, no such conversation).
      const operator = await TestClient.connect(daemon.url, OPERATOR);
      expect((await operator.call('router.route', { message: 'hi' })).error.code).to.equal(-32011);
      expect((await operator.call('conversation.get', { conversationId: 'c1' })).error.code).to.equal(-32061);
      expect((await operator.request('conversation.list', {})).total).to.equal(0);
      await Promise.all([agent.close(), operator.close()]);
    });

    it('never writes a token to the log', async () => {
      await refusedStatus(daemon.url, { authorization: 'Bearer leaked-candidate-token-123' });
      const c = await TestClient.connect(daemon.url, OPERATOR);
      await c.request('coordination.metrics');
      await c.close();
      await daemon.waitForLog((l) => l.msg === 'connection closed');
      const all = JSON.stringify(daemon.logs) + daemon.stderr();
      for (const secret of [OPERATOR, AGENT, ENV_OPERATOR, 'leaked-candidate-token-123']) expect(all).not.to.contain(secret);
    });

    it('counts refused upgrades in coordd_auth_failures_total', async () => {
      const text = await (await fetch(`${daemon.httpUrl}/metrics`)).text();
      expect(text).to.match(/coordd_auth_failures_total [1-9]/);
    });
  });
}

describe('auth without tokens on loopback', () => {
  it('admits every local connection as admin and warns once in the log', async () => {
    const daemon = await startDaemon();
    const c = await TestClient.connect(daemon.url);
    expect((await c.call('router.select', {})).error.code).to.equal(-32011);
    await c.close();
    expect(daemon.logs.some((l) => l.level === 'warn' && String(l.msg).includes('no tokens'))).to.equal(true);
    await daemon.stop();
  });
});
