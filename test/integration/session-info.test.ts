import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInProcess, type InProcessDaemon } from '../support/in-process-daemon.js';

describe('session.info and the viewer role (in-process daemon)', function () {
  this.timeout(20_000);
  const VIEWER = 'viewer-token-0123456789';
  const OPERATOR = 'operator-token-0123456789';
  const AGENT = 'agent-token-0123456789ab';
  let daemon: InProcessDaemon;

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'coordd-session-')), 'tokens');
    writeFileSync(file, `${VIEWER} viewer\n${OPERATOR} operator\n${AGENT} agent\n`);
    daemon = await startInProcess({ COORDD_TOKENS_FILE: file });
  });
  after(() => daemon.stop());

  it('tells each role what it may call, from the methods served', async () => {
    const roles: Record<string, string[]> = {};
    for (const token of [VIEWER, OPERATOR, AGENT]) {
      const c = daemon.connect(token);
      const info = await c.request('session.info', {});
      expect(info.connectionId).to.be.a('string');
      roles[info.role] = info.methods;
      await c.close();
    }
    expect(Object.keys(roles).sort()).to.deep.equal(['agent', 'operator', 'viewer']);
    expect(roles.viewer).to.include.members(['session.info', 'pool.status', 'task.list', 'task.get', 'coordination.alerts', 'resource.list']);
    expect(roles.viewer).to.not.include.members(['task.cancel']);
    for (const write of ['task.cancel', 'pool.assign', 'pool.spawn', 'pool.shutdown', 'agent.register', 'coordination.signal'])
      expect(roles.viewer).to.not.include(write);
    expect(roles.operator).to.include.members(['task.cancel', 'pool.assign', 'pool.spawn']);
    expect(roles.agent).to.include('agent.register').and.not.include('task.list');
    expect(roles.viewer).to.deep.equal([...roles.viewer!].sort());
  });

  it('answers the agent id once the connection registered', async () => {
    const c = daemon.connect(AGENT);
    await c.request('agent.register', { agentId: 'info-agent', capabilities: [], capacity: 1 });
    expect(await c.request('session.info')).to.include({ role: 'agent', agentId: 'info-agent' });
    await c.close();
  });

  it('refuses unknown params with -32602, and a viewer writing with FORBIDDEN, the daemon staying up', async () => {
    const c = daemon.connect(VIEWER);
    expect((await c.call('session.info', { extra: 1 })).error.code).to.equal(-32602);
    const forbidden = await c.call('pool.assign', { type: 't' });
    expect(forbidden.error.code).to.equal(-32001);
    expect(forbidden.error.data.role).to.equal('viewer');
    expect((await c.call('task.cancel', { taskId: 'x' })).error.code).to.equal(-32001);
    expect((await c.request('task.list', {})).tasks).to.be.an('array');
    expect((await c.request('pool.status', {})).agents.total).to.equal(0);
    await c.close();
  });
});
