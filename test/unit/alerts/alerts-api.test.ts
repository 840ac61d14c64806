import { expect } from 'chai';
import { registerAlertsApi } from '../../../src/api/alerts-api.js';
import { AlertSubscribers } from '../../../src/wiring/alert-subscribers.js';
import { defaultFileConfig } from '../../../src/config-file.js';
import { RpcEngine } from '../../../src/rpc/engine.js';
import type { ActiveAlert } from '../../../src/schemas/alerts.js';
import type { Role } from '../../../src/schemas/method.js';
import { memorySession, recordingLog } from '../../support/in-memory-session.js';

const ALERT: ActiveAlert = {
  alert: 'utilization_low',
  startedAt: 1_700_000_000_000,
  value: 0.2,
  threshold: 0.6,
  message: 'pool utilization 20.0% is below 60.0%',
};

function setup() {
  const engine = new RpcEngine({ log: recordingLog() }, { maxBatch: 10, validateResults: true });
  const subscribers = new AlertSubscribers();
  const active: ActiveAlert[] = [ALERT];
  registerAlertsApi(engine, { alerts: { list: () => active }, subscribers, thresholds: defaultFileConfig().alerts });
  const connect = (id: string, role: Role = 'operator') => {
    const { session, sent } = memorySession(role);
    const s = { ...session, id };
    const call = async (params?: object) =>
      JSON.parse((await engine.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'coordination.alerts', params }), s))!);
    return { session: s, sent, call, frames: () => sent.map((t) => JSON.parse(t)) };
  };
  return { subscribers, connect };
}

describe('coordination.alerts', () => {
  it('answers the active alerts, the thresholds, and whether the connection is subscribed', async () => {
    const { connect } = setup();
    const op = connect('op1');
    const r = (await op.call()).result;
    expect(r.active).to.deep.equal([ALERT]);
    expect(r.thresholds).to.deep.equal(defaultFileConfig().alerts);
    expect(r.thresholds).to.deep.include({
      utilizationMin: 0.6,
      utilizationMax: 0.95,
      overheadMax: 0.05,
      completionRateMin: 0.95,
      conflictResolutionMaxSeconds: 5,
    });
    expect(r.subscribed).to.equal(false);
  });

  it('sends alert.raised / alert.cleared to subscribed connections only, until they unsubscribe or are removed', async () => {
    const { connect, subscribers } = setup();
    const a = connect('a');
    const b = connect('b', 'admin');
    const quiet = connect('quiet');
    expect((await a.call({ subscribe: true })).result.subscribed).to.equal(true);
    expect((await a.call({})).result.subscribed, 'omitted: unchanged').to.equal(true);
    expect((await b.call({ subscribe: true })).result.subscribed).to.equal(true);
    subscribers.raised(ALERT);
    const cleared = { ...ALERT, value: 0.7, clearedAt: ALERT.startedAt + 60_000, reason: 'recovered' as const, message: 'back' };
    subscribers.cleared(cleared);
    expect(a.frames()).to.deep.equal([
      { jsonrpc: '2.0', method: 'alert.raised', params: ALERT },
      { jsonrpc: '2.0', method: 'alert.cleared', params: cleared },
    ]);
    expect(b.frames()).to.have.length(2);
    expect(quiet.frames()).to.be.empty;

    expect((await a.call({ subscribe: false })).result.subscribed).to.equal(false);
    subscribers.remove('b'); // what the daemon does when a connection closes
    subscribers.raised(ALERT);
    expect(a.frames()).to.have.length(2);
    expect(b.frames()).to.have.length(2);
    expect(subscribers.size).to.equal(0);
  });

  it('is for operators and admins only', async () => {
    const { connect } = setup();
    const reply = await connect('ag', 'agent').call({ subscribe: true });
    expect(reply.error.code).to.equal(-32001);
  });
});
