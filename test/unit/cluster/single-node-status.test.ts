import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../support/in-process-daemon.js';

describe('cluster.status in single-node mode', () => {
  let daemon: InProcessDaemon;
  afterEach(async () => daemon?.stop());

  it('answers this daemon alone, leader of term 0, named by COORDD_NODE_ID or "local"', async () => {
    daemon = await startInProcess({ COORDD_STORE: 'memory' });
    const c = daemon.connect();
    const status = await c.request('cluster.status', {});
    expect(status).to.deep.include({ nodeId: 'local', leaderId: 'local', term: 0 });
    expect(status.nodes).to.have.length(1);
    expect(status.nodes[0]).to.deep.include({ nodeId: 'local', leader: true, lastSeenMs: 0, agents: 0 });
    expect(status.nodes[0].url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/rpc$/);
    await daemon.connect().request('agent.register', { agentId: 'one', capabilities: [], capacity: 1 });
    expect((await c.request('cluster.status')).nodes[0].agents).to.equal(1);
    expect((await c.call('cluster.status', { nodeId: 'x' })).error.code).to.equal(-32602);
  });

  it('is for operators: an agent token gets FORBIDDEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordd-status-'));
    writeFileSync(join(dir, 'tokens'), 'agent-token-0123456789 agent\n');
    daemon = await startInProcess({
      COORDD_STORE: 'memory',
      COORDD_NODE_ID: 'solo',
      COORDD_TOKENS_FILE: join(dir, 'tokens'),
      COORDD_TOKEN: 'op-token-0123456789ab',
    });
    expect((await daemon.connect('agent-token-0123456789').call('cluster.status')).error.code).to.equal(-32001);
    expect((await daemon.connect('op-token-0123456789ab').request('cluster.status')).nodeId).to.equal('solo');
  });
});
