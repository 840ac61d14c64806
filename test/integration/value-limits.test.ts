import { expect } from 'chai';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

/** `[[[…[1]…]]]` nested `depth` arrays deep, as JSON text (so the client's own stringify is not the limit). */
const deepText = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

/** Send a request whose params contain raw JSON text at one spot, and wait for its reply. */
async function callRaw(c: TestClient, id: number, method: string, paramsText: string): Promise<any> {
  c.sendText(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsText}}`);
  for (;;) {
    const m = await c.next();
    if (m.id === id) return m;
  }
}

describe('value limits (issue 9 §1, real daemon)', function () {
  this.timeout(60_000);

  describe('depth and size at the edge', () => {
    let daemon: DaemonProcess;
    let op: TestClient;
    before(async () => {
      daemon = await startDaemon({ COORDD_MAX_VALUE_BYTES: '65536', COORDD_TASK_MAX_ATTEMPTS: '1' });
      op = await TestClient.connect(daemon.url);
    });
    after(async () => {
      await op.close();
      expect(await daemon.stop()).to.equal(0);
    });

    it('refuses a payload nested thousands deep with -32602 naming the path and the limit; task.get/task.list keep working', async () => {
      const reply = await callRaw(op, 1, 'pool.assign', `{"type":"t","payload":{"a":${deepText(5000)}}}`);
      expect(reply.error.code).to.equal(-32602);
      const issue = reply.error.data.issues[0];
      expect(issue).to.include({ limit: 'maxDepth', max: 64 });
      expect(issue.path).to.match(/^payload\.a(\.0)+$/);
      // At the limit exactly it is accepted, and reading it back is fine.
      const ok = await callRaw(op, 2, 'pool.assign', `{"type":"t","payload":${deepText(64)}}`);
      expect(ok.result.state).to.equal('PENDING');
      expect((await op.request('task.get', { taskId: ok.result.taskId })).payload).to.deep.equal(JSON.parse(deepText(64)));
      expect((await op.request('task.list', {})).tasks).to.have.length(1);
      await op.request('task.cancel', { taskId: ok.result.taskId });
      expect(daemon.proc.exitCode).to.equal(null);
    });

    it('refuses a payload over COORDD_MAX_VALUE_BYTES with the limit in error.data', async () => {
      const reply = await op.call('pool.assign', { type: 't', payload: { big: 'x'.repeat(70_000) } });
      expect(reply.error.code).to.equal(-32602);
      expect(reply.error.data.issues[0]).to.include({ limit: 'maxBytes', max: 65536 });
    });

    it('refuses a router.route message nested too deep with -32602 (was -32603)', async () => {
      const reply = await callRaw(op, 3, 'router.route', `{"message":{"text":${deepText(10_000)}}}`);
      expect(reply.error.code).to.equal(-32602);
      expect(reply.error.data.issues[0].path).to.match(/^message\.text(\.0)+$/);
      expect(reply.error.data.issues[0].limit).to.equal('maxDepth');
    });

    it("an agent's too-deep or too-large task.run answer fails the attempt with ANSWER_TOO_LARGE (-32004), and the daemon stays up", async () => {
      const a = await TestClient.connect(daemon.url);
      await a.request('agent.register', { agentId: 'deep-agent', capabilities: ['deep'], capacity: 1 });
      for (const [answer, limit] of [
        [`{"result":${deepText(20_000)}}`, 'maxDepth'],
        [`{"result":"${'y'.repeat(100_000)}"}`, 'maxBytes'],
        [`{"error":{"code":1,"message":"m","data":${deepText(20_000)}}}`, 'maxDepth'],
      ] as const) {
        const { taskId } = await op.request('pool.assign', { type: 'deep', requiredCapabilities: ['deep'] });
        const run = await a.nextOf('task.run');
        a.sendText(`{"jsonrpc":"2.0","id":${run.id},${answer.slice(1, -1)}}`);
        const task = await op.request('task.wait', { taskId, timeoutMs: 5000 });
        expect(task.state).to.equal('FAILED');
        expect(task.error.code).to.equal(-32004);
        expect(task.error.data).to.include({ name: 'ANSWER_TOO_LARGE', limit });
        expect((await op.request('task.list', {})).tasks.length).to.be.greaterThan(0);
      }
      await a.close();
    });

    it("an agent's too-deep message.deliver answer is an 'error' attempt with -32004, not an internal message", async () => {
      const a = await TestClient.connect(daemon.url);
      await a.request('agent.register', { agentId: 'chat-agent', capabilities: ['chat'], capacity: 1 });
      const routed = op.call('router.route', { message: 'hello', requiredCapabilities: ['chat'] });
      const deliver = await a.nextOf('message.deliver');
      a.sendText(`{"jsonrpc":"2.0","id":${deliver.id},"result":${deepText(20_000)}}`);
      const reply = await routed;
      expect(reply.error.code).to.equal(-32060);
      const attempt = reply.error.data.attempts[0];
      expect(attempt).to.include({ agentId: 'chat-agent', outcome: 'error' });
      expect(attempt.error.code).to.equal(-32004);
      await a.close();
      expect(daemon.proc.exitCode).to.equal(null);
    });
  });

  describe('what the daemon holds and sends', () => {
    it('pages task.list by bytes: hundreds of ~1 MiB payloads, every page sendable, nextCursor continues', async () => {
      const daemon = await startDaemon({
        COORDD_MAX_PAYLOAD: String(2 * 1024 * 1024),
        COORDD_MAX_VALUE_BYTES: String(2 * 1024 * 1024),
        COORDD_MAX_REPLY_BYTES: String(8 * 1024 * 1024),
      });
      const op = await TestClient.connect(daemon.url);
      const big = 'p'.repeat(1024 * 1024);
      const count = 120;
      for (let i = 0; i < count; i++) await op.request('pool.assign', { type: 'bulk', payload: { i, big } });
      const seen = new Set<number>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await op.request('task.list', { limit: 1000, ...(cursor ? { cursor } : {}) });
        expect(page.tasks.length).to.be.within(1, 8);
        for (const t of page.tasks) seen.add(t.payload.i);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined);
      expect(seen.size).to.equal(count);
      expect(pages).to.be.greaterThan(count / 8 - 1);
      await op.close();
      expect(await daemon.stop()).to.equal(0);
    });

    it('a single task larger than the reply budget is still returned, alone', async () => {
      const daemon = await startDaemon({ COORDD_MAX_REPLY_BYTES: '2048' });
      const op = await TestClient.connect(daemon.url);
      await op.request('pool.assign', { type: 'a', payload: 'q'.repeat(4000) });
      await op.request('pool.assign', { type: 'b', payload: 'r'.repeat(4000) });
      const first = await op.request('task.list', {});
      expect(first.tasks.map((t: { type: string }) => t.type)).to.deep.equal(['b']);
      const second = await op.request('task.list', { cursor: first.nextCursor });
      expect(second.tasks.map((t: { type: string }) => t.type)).to.deep.equal(['a']);
      expect(second.nextCursor).to.equal(undefined);
      await op.close();
      expect(await daemon.stop()).to.equal(0);
    });

    it('pages resource.list by bytes as well as by count: every resource seen once, in name order, nextCursor continues', async () => {
      const daemon = await startDaemon({ COORDD_MAX_REPLY_BYTES: '2048' });
      const agent = await TestClient.connect(daemon.url);
      await agent.request('agent.register', { agentId: 'holder', capabilities: ['x'], capacity: 1 });
      const names = Array.from({ length: 40 }, (_, i) => `res-${String(i).padStart(2, '0')}`);
      for (const resource of names) await agent.request('resource.acquire', { resource, mode: 'shared', ttlSeconds: 60 });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await agent.request('resource.list', cursor === undefined ? {} : { cursor });
        expect(page.total).to.equal(40);
        expect(JSON.stringify(page.resources).length).to.be.at.most(2048);
        seen.push(...page.resources.map((r: { resource: string }) => r.resource));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined);
      expect(seen).to.deep.equal(names);
      expect(pages).to.be.greaterThan(2);
      const byCount = await agent.request('resource.list', { limit: 3 });
      expect(byCount.resources.map((r: { resource: string }) => r.resource)).to.deep.equal(names.slice(0, 3));
      const next = await agent.request('resource.list', { limit: 3, cursor: byCount.nextCursor });
      expect(next.resources.map((r: { resource: string }) => r.resource)).to.deep.equal(names.slice(3, 6));
      await agent.close();
      expect(await daemon.stop()).to.equal(0);
    });

    it('refuses pool.assign with QUEUE_FULL (reason: queue bytes) once unfinished payloads reach COORDD_MAX_QUEUE_BYTES', async () => {
      const daemon = await startDaemon({ COORDD_MAX_QUEUE_BYTES: '10000' });
      const op = await TestClient.connect(daemon.url);
      const payload = 's'.repeat(4000);
      const first = await op.request('pool.assign', { type: 'q', payload });
      await op.request('pool.assign', { type: 'q', payload });
      const third = await op.call('pool.assign', { type: 'q', payload });
      expect(third.error.code).to.equal(-32023);
      expect(third.error.data).to.include({ reason: 'queue bytes', maxQueueBytes: 10000 });
      // Finishing one frees its bytes.
      await op.request('task.cancel', { taskId: first.taskId });
      expect((await op.request('pool.assign', { type: 'q', payload })).state).to.equal('PENDING');
      await op.close();
      expect(await daemon.stop()).to.equal(0);
    });
  });
});
