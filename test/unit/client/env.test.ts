import { expect } from 'chai';
import { fromEnv } from '../../../src/client/index.js';

describe('client/fromEnv', () => {
  const URL = 'ws://127.0.0.1:7420/rpc';

  it('reads every COORDD_ worker variable', () => {
    expect(
      fromEnv({
        COORDD_URL: URL,
        COORDD_JOIN_TOKEN: 'join',
        COORDD_TOKEN: 'op',
        COORDD_AGENT_ID: 'a1',
        COORDD_CAPABILITIES: 'echo, summarize,,',
        COORDD_CAPACITY: '3',
      }),
    ).to.deep.equal({ url: URL, token: 'join', agentId: 'a1', capabilities: ['echo', 'summarize'], capacity: 3 });
  });

  it('falls back to COORDD_TOKEN and leaves unset keys out (so spread keeps defaults)', () => {
    const env = fromEnv({ COORDD_URL: URL, COORDD_TOKEN: 'op' });
    expect(env).to.deep.equal({ url: URL, token: 'op' });
    expect({ capacity: 1, ...env }.capacity).to.equal(1);
  });

  it('names the variable that is missing or malformed', () => {
    expect(() => fromEnv({})).to.throw(/COORDD_URL is not set/);
    expect(() => fromEnv({ COORDD_URL: 'http://x' })).to.throw(/COORDD_URL must be a ws/);
    expect(() => fromEnv({ COORDD_URL: URL, COORDD_CAPACITY: '0' })).to.throw(/COORDD_CAPACITY/);
    expect(() => fromEnv({ COORDD_URL: URL, COORDD_CAPACITY: '2.5' })).to.throw(/COORDD_CAPACITY/);
  });
});
