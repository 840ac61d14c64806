import { expect } from 'chai';
import { failFrame, UnansweredCalls, type RelayFailure } from '../../../src/cluster/relay/unanswered-calls.js';
import { compareIds, decodeEntries, entryFields, entryHead, firstStreamEntries, pushFrame } from '../../../src/cluster/relay/relay-streams.js';
import { decodeIdentity, encodeIdentity } from '../../../src/cluster/relay/relayed-identity.js';

const failure: RelayFailure = { reason: 'the leader changed', retryAfterMs: 250 };
const err = (id: unknown) => ({
  jsonrpc: '2.0',
  id,
  error: { code: -32007, message: 'No cluster leader could take this call; retry', data: { reason: 'the leader changed', retryAfterMs: 250 } },
});

describe('UnansweredCalls (the requests a gateway relayed and has no reply for)', () => {
  it('tracks requests, not notifications or responses, and forgets what the leader answers', () => {
    const calls = new UnansweredCalls();
    calls.sent({ jsonrpc: '2.0', id: 1, method: 'a' });
    calls.sent({ jsonrpc: '2.0', id: '1', method: 'b' });
    calls.sent({ jsonrpc: '2.0', method: 'notify' });
    calls.sent({ jsonrpc: '2.0', id: 9, result: {} });
    calls.sent(undefined);
    expect(calls.size).to.equal(2);
    calls.answered({ jsonrpc: '2.0', id: 1, result: 'ok' });
    calls.answered({ jsonrpc: '2.0', id: '1', method: 'task.run', params: {} });
    expect(calls.size).to.equal(1);
    expect(calls.fail(failure).map((f) => JSON.parse(f))).to.deep.equal([err('1')]);
    expect(calls.size).to.equal(0);
  });

  it('answers a batch with one batch of errors, for the requests of it still unanswered', () => {
    const calls = new UnansweredCalls();
    calls.sent([
      { jsonrpc: '2.0', id: 'x', method: 'a' },
      { jsonrpc: '2.0', method: 'n' },
      { jsonrpc: '2.0', id: null, method: 'b' },
    ]);
    calls.sent({ jsonrpc: '2.0', id: 3, method: 'c' });
    calls.answered([{ jsonrpc: '2.0', id: 'x', result: 1 }]);
    expect(calls.fail(failure).map((f) => JSON.parse(f))).to.deep.equal([err(3), [err(null)]]);
  });

  it('failFrame answers a held frame: one response, one batch, or nothing for notifications', () => {
    expect(JSON.parse(failFrame({ jsonrpc: '2.0', id: 5, method: 'a' }, failure)!)).to.deep.equal(err(5));
    expect(
      JSON.parse(
        failFrame(
          [
            { jsonrpc: '2.0', id: 5, method: 'a' },
            { jsonrpc: '2.0', method: 'n' },
          ],
          failure,
        )!,
      ),
    ).to.deep.equal([err(5)]);
    expect(failFrame({ jsonrpc: '2.0', method: 'n' }, failure)).to.equal(undefined);
    expect(failFrame('not json-rpc', failure)).to.equal(undefined);
  });
});

describe('relay stream entries', () => {
  it('encode and decode {k, g, c, t, i?, d?}, several frames to an entry; malformed items are skipped', () => {
    const fields = entryFields('open', 'g1', 'c1', 4, undefined, '{"role":"agent"}');
    expect(fields).to.deep.equal(['t', '4', 'g', 'g1', 'k', 'open', 'c', 'c1', 'i', '{"role":"agent"}']);
    const two = pushFrame(pushFrame(entryHead('g2', 5), 'msg', 'c1', '{}'), 'close', 'c2', '{"code":1000}');
    const decoded = decodeEntries([['1-0', fields], 'junk', ['2-0', null], ['3-1', two]]);
    expect(decoded).to.deep.equal([
      { id: '1-0', g: 'g1', t: 4, frames: [{ k: 'open', c: 'c1', i: '{"role":"agent"}', d: undefined }] },
      {
        id: '3-1',
        g: 'g2',
        t: 5,
        frames: [
          { k: 'msg', c: 'c1', i: undefined, d: '{}' },
          { k: 'close', c: 'c2', i: undefined, d: '{"code":1000}' },
        ],
      },
    ]);
    // The design's one-frame layout, fields in any order, reads the same.
    expect(decodeEntries([['4-0', ['k', 'msg', 'g', 'g3', 'c', 'c9', 't', '2', 'd', 'x']]])[0]).to.deep.equal({
      id: '4-0',
      g: 'g3',
      t: 2,
      frames: [{ k: 'msg', c: 'c9', i: undefined, d: 'x' }],
    });
    expect(firstStreamEntries(null)).to.deep.equal([]);
    expect(firstStreamEntries([['s', [['1-0', fields]]]])).to.have.length(1);
  });

  it('orders stream ids numerically', () => {
    expect(compareIds('10-0', '9-5')).to.be.greaterThan(0);
    expect(compareIds('9-10', '9-9')).to.be.greaterThan(0);
    expect(compareIds('9-1', '9-1')).to.equal(0);
  });

  it('identities cross the stream as JSON and a malformed one is refused', () => {
    const identity = { role: 'agent' as const, credential: 'fleet', scope: { agentIdPrefix: 'w-' } };
    expect(decodeIdentity(encodeIdentity(identity))).to.deep.equal(identity);
    expect(decodeIdentity('{"role":"root"}')).to.equal(undefined);
    expect(decodeIdentity('{')).to.equal(undefined);
    expect(decodeIdentity(undefined)).to.equal(undefined);
  });
});
