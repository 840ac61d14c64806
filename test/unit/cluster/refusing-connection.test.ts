import { expect } from 'chai';
import { generatedNodeId } from '../../../src/cluster/cluster-node.js';
import { redactedUrl } from '../../../src/cluster/redis-connection.js';
import { refuseEveryCall } from '../../../src/cluster/refusing-connection.js';
import { HashJournal } from '../../../src/cluster/hash-journal.js';
import { LinkedTransport } from '../../../src/transport/linked-pair.js';
import { TestClient } from '../../support/ws-client.js';

const LOST = { code: -32008, message: 'The cluster store lost its data; this replica refuses to serve', data: { expectedEpoch: 'e1', foundEpoch: null } };

describe('cluster/refuseEveryCall: a replica that must not serve still answers', () => {
  it('answers every request (alone or in a batch) with the error, ignores notifications, and keeps JSON-RPC’s own errors', async () => {
    const [client, server] = LinkedTransport.pair('c1');
    refuseEveryCall(server, LOST);
    const c = TestClient.over(client);
    expect((await c.call('pool.status')).error).to.deep.equal(LOST);
    c.send([{ jsonrpc: '2.0', id: 'a', method: 'x' }, { jsonrpc: '2.0', method: 'note' }, 5]);
    const batch = await c.next();
    expect(batch).to.deep.equal([
      { jsonrpc: '2.0', id: 'a', error: LOST },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } },
    ]);
    c.sendText('{nope');
    expect((await c.next()).error.code).to.equal(-32700);
    c.send({ jsonrpc: '2.0', method: 'only.a.notification' });
    c.send([{ jsonrpc: '2.0', method: 'n' }]);
    expect((await c.call('again')).error.code).to.equal(-32008);
  });
});

describe('cluster/redis-connection and node ids', () => {
  it('never shows a password in the store’s description', () => {
    expect(redactedUrl('redis://127.0.0.1:6379')).to.equal('redis://127.0.0.1:6379');
    expect(redactedUrl('redis://127.0.0.1:6379/2')).to.equal('redis://127.0.0.1:6379/2');
    expect(redactedUrl('rediss://user:s3cret@cache:6380/0')).to.equal('rediss://user:***@cache:6380/0');
    expect(redactedUrl('redis://:s3cret@cache:6380')).to.equal('redis://:***@cache:6380');
    expect(redactedUrl('redis://onlytoken@cache')).to.equal('redis://***@cache');
    expect(redactedUrl('redis://us er:pw@[bad')).to.not.contain('pw');
  });

  it('generates node ids that differ', () => {
    const ids = new Set(Array.from({ length: 50 }, generatedNodeId));
    expect(ids.size).to.equal(50);
    for (const id of ids) expect(id).to.match(/^node-[0-9a-f]{8}$/);
  });
});

describe('cluster/HashJournal: one hash’s changes since the last commit', () => {
  it('keeps the last value per field, lets a delete cancel a set (and the reverse), and drains to the script’s section', () => {
    const j = new HashJournal();
    j.set('a', '1');
    j.set('a', '2');
    j.set('b', '1');
    j.delete('b');
    j.delete('c');
    j.set('c', '3');
    expect(j.size).to.equal(3);
    expect(j.drain()).to.deep.equal(['2', '1', 'a', '2', 'c', '3', 'b']);
    expect(j.drain()).to.deep.equal(['0', '0']);
  });
});
