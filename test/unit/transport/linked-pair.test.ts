import { expect } from 'chai';
import { LinkedTransport } from '../../../src/transport/linked-pair.js';

describe('LinkedTransport.pair', () => {
  it('delivers text both ways in order, never inside the sender’s call', async () => {
    const [client, server] = LinkedTransport.pair('c1');
    const atServer: string[] = [];
    const atClient: string[] = [];
    server.onmessage = (t) => atServer.push(t);
    client.onmessage = (t) => atClient.push(t);
    client.send('a');
    client.send('b');
    server.send('x');
    expect(atServer).to.deep.equal([]);
    await Promise.resolve();
    expect(atServer).to.deep.equal(['a', 'b']);
    expect(atClient).to.deep.equal(['x']);
    expect(server.id).to.equal('c1');
  });

  it('closes both ends once, after the frames already sent, and says which end closed', async () => {
    const [client, server] = LinkedTransport.pair('c2');
    const events: string[] = [];
    server.onmessage = (t) => events.push(`server got ${t}`);
    server.onclose = (code, reason) => events.push(`server closed ${code} ${reason}`);
    client.onclose = (code, reason) => events.push(`client closed ${code} ${reason}`);
    client.send('last');
    server.close(4002, 'removed');
    server.close(1000, 'again');
    client.send('dropped');
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).to.deep.equal(['server got last', 'server closed 4002 removed', 'client closed 4002 removed']);
    expect([server.closeReason, client.closeReason]).to.deep.equal(['closed_by_daemon', undefined]);
    expect([server.isOpen, client.isOpen]).to.deep.equal([false, false]);
  });
});
