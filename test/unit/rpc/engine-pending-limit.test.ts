import { expect } from 'chai';
import { z } from 'zod';
import { RpcEngine } from '../../../src/rpc/engine.js';
import { defineMethod } from '../../../src/schemas/method.js';
import { memorySession, recordingLog } from '../../support/in-memory-session.js';

const wait = defineMethod({ name: 'test.wait', summary: 'waits', roles: ['admin'], params: z.object({}), result: z.null() });
const quick = defineMethod({ name: 'test.quick', summary: 'answers at once', roles: ['admin'], params: z.object({}), result: z.null() });
const req = (id: number, method: string): string => JSON.stringify({ jsonrpc: '2.0', id, method, params: {} });

describe('RpcEngine: pending calls per connection (COORDD_MAX_PENDING)', () => {
  it('refuses a connection’s call beyond the limit with TOO_MANY_PENDING, counts only waiting calls, and frees slots as they answer', async () => {
    const releases: (() => void)[] = [];
    const e = new RpcEngine({ log: recordingLog() }, { maxBatch: 10, validateResults: true, maxPendingPerConnection: 2 });
    e.register(wait, () => new Promise<null>((resolve) => releases.push(() => resolve(null))));
    e.register(quick, () => null);
    const { session } = memorySession('admin');
    const { session: other } = memorySession('admin');
    const first = e.handleText(req(1, 'test.wait'), session);
    const second = e.handleText(req(2, 'test.wait'), session);
    const refused = JSON.parse((await e.handleText(req(3, 'test.wait'), session))!);
    expect(refused.error).to.deep.include({ code: -32003, message: 'Too many calls are pending on this connection' });
    expect(refused.error.data).to.deep.include({ name: 'TOO_MANY_PENDING', pending: 2, max: 2 });
    expect(JSON.parse((await e.handleText(req(4, 'test.quick'), session))!).error, 'a quick call is refused too while the limit is reached').to.include({
      code: -32003,
    });
    const elsewhere = e.handleText(req(5, 'test.wait'), other);
    expect(elsewhere, 'another connection has its own limit').to.be.instanceOf(Promise);
    releases.shift()!();
    expect(JSON.parse((await first)!).result).to.equal(null);
    const third = e.handleText(req(6, 'test.wait'), session);
    expect(third, 'a slot was freed').to.be.instanceOf(Promise);
    for (const r of releases.splice(0)) r();
    expect(JSON.parse((await second)!).result).to.equal(null);
    expect(JSON.parse((await third)!).result).to.equal(null);
    expect(JSON.parse((await elsewhere)!).result).to.equal(null);
    expect(JSON.parse((await e.handleText(req(7, 'test.quick'), session))!).result).to.equal(null);
  });
});
