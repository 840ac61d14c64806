import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CoordClient } from '../../src/client/index.js';
import { findChromium } from '../support/chromium.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { TestClient } from '../support/ws-client.js';

/** A page that records every request and every console error or CSP violation. */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; requests: string[]; problems: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { page, requests, problems };
}

/** An agent on a raw socket, so the test decides when and how each task.run is answered. */
async function registerAgent(d: DaemonProcess, agentId: string): Promise<TestClient> {
  const agent = await TestClient.connect(d.url);
  await agent.request('agent.register', { agentId, capabilities: ['browser-test'], capacity: 2 });
  return agent;
}

describe('dashboard (/ui/) in a real browser', function () {
  this.timeout(30_000);
  let browser: Browser | undefined;
  const executablePath = findChromium();

  before(async function () {
    if (!executablePath) return this.skip();
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  });

  after(() => browser?.close());

  describe('without tokens', function () {
    let daemon: DaemonProcess;

    before(async () => {
      daemon = await startDaemon({ COORDD_RETRY_BASE_DELAY: '0', COORDD_TASK_MAX_ATTEMPTS: '3' });
    });

    after(() => daemon?.stop());

    it('loads with no request leaving 127.0.0.1 and no console error (CSP included)', async () => {
      const { page, requests, problems } = await openPage(browser!, `${daemon.httpUrl}/ui/`);
      await page.getByTestId('agents-total').waitFor();
      expect(requests.length).to.be.greaterThan(5);
      for (const url of requests) expect(new URL(url).hostname, url).to.equal('127.0.0.1');
      expect(requests.some((u) => u.endsWith('/vendor/uPlot.esm.js'))).to.equal(true);
      expect(requests.some((u) => u.startsWith('ws://127.0.0.1') && u.endsWith('/rpc'))).to.equal(true);
      expect(await page.locator('.chart canvas').count()).to.be.greaterThan(0);
      expect(problems).to.deep.equal([]);
      await page.close();
    });

    it('shows an agent that registers within 2 s, without a reload', async () => {
      const { page } = await openPage(browser!, `${daemon.httpUrl}/ui/#/agents`);
      await page.getByTestId('agent-cards').waitFor();
      // This daemon serves events.subscribe: the page streams rather than polls.
      await page.locator('.live.on', { hasText: 'live' }).waitFor();
      const agent = await registerAgent(daemon, 'ui-agent-live');
      try {
        const card = page.locator('[data-agent-id="ui-agent-live"]');
        await card.waitFor({ timeout: 2000 });
        await card.getByRole('button', { name: 'Drain' }).click();
        await card.locator('.badge', { hasText: 'DRAINING' }).waitFor({ timeout: 2000 });
      } finally {
        await agent.close();
        await page.close();
      }
    });

    it('spawns a worker from a template chosen in the spawn dialog; its card appears, and the routing view names the default strategy', async () => {
      const { page, problems } = await openPage(browser!, `${daemon.httpUrl}/ui/#/agents`);
      try {
        await page.locator('.live.on', { hasText: 'live' }).waitFor();
        await page.getByRole('button', { name: 'Spawn…' }).click();
        const select = page.locator('dialog select');
        await select.waitFor();
        expect(await select.locator('option').allInnerTexts()).to.deep.equal(['echo (built in) — 0 running']);
        await page.locator('dialog').getByRole('button', { name: 'Spawn' }).click();
        await page.locator('[data-agent-id]', { hasText: 'echo' }).first().waitFor({ timeout: 15_000 });
        await page.goto(`${daemon.httpUrl}/ui/#/routing`);
        await page.locator('.tile', { hasText: 'default strategy' }).locator('b', { hasText: 'RIPPLE_COORDINATION' }).waitFor();
        expect(problems).to.deep.equal([]);
      } finally {
        await page.close();
      }
    });

    it('shows a submitted task with its attempts, and cancel from the page ends it CANCELLED', async () => {
      const agent = await registerAgent(daemon, 'ui-agent-tasks');
      const client = new CoordClient({ url: daemon.url, reconnect: false });
      await client.connect();
      const { page, problems } = await openPage(browser!, `${daemon.httpUrl}/ui/#/tasks`);
      try {
        const { taskId } = await client.assign({ type: 'browser.job', payload: { n: 42 }, requiredCapabilities: ['browser-test'] });
        // First attempt fails, the second one runs until the page cancels it.
        const first = await agent.next();
        expect(first.method).to.equal('task.run');
        agent.send({ jsonrpc: '2.0', id: first.id, error: { code: -32000, message: 'first attempt fails' } });
        const second = await agent.next();
        expect(second.params.attempt).to.equal(2);

        await page.locator(`tr[data-task-id="${taskId}"]`).waitFor({ timeout: 2000 });
        await page.locator(`tr[data-task-id="${taskId}"] a`).click();
        const attempts = page.getByTestId('attempts').locator('li');
        await attempts.nth(1).waitFor();
        expect(await attempts.count()).to.equal(2);
        expect(await attempts.nth(0).innerText())
          .to.contain('failed')
          .and.contain('first attempt fails');
        expect(await attempts.nth(1).innerText()).to.contain('running');
        expect(await page.locator('.json').first().innerText()).to.contain('42');

        await page.getByTestId('cancel').click();
        const cancel = await agent.next();
        expect(cancel).to.include({ method: 'task.cancel' });
        agent.send({ jsonrpc: '2.0', id: second.id, error: { code: -32000, message: 'cancelled by request' } });
        expect((await client.waitTask(taskId, 5000)).state).to.equal('CANCELLED');
        await page.locator('h2 .badge', { hasText: 'CANCELLED' }).waitFor({ timeout: 2000 });
        expect(await page.getByTestId('cancel').count()).to.equal(0);

        // Retry from the page: a third attempt, same task id, the earlier ones kept.
        await page.getByTestId('retry').click();
        const third = await agent.next();
        expect([third.method, third.params.taskId, third.params.attempt]).to.deep.equal(['task.run', taskId, 3]);
        await attempts.nth(2).waitFor();
        expect(await attempts.count()).to.equal(3);
        agent.send({ jsonrpc: '2.0', id: third.id, result: { ok: true } });
        await page.locator('h2 .badge', { hasText: 'COMPLETED' }).waitFor({ timeout: 2000 });
        expect(problems).to.deep.equal([]);
      } finally {
        await page.close();
        await client.close();
        await agent.close();
      }
    });

    it('serves files safely: types, CSP, ETag, no traversal', async () => {
      const index = await fetch(`${daemon.httpUrl}/ui/`);
      expect(index.status).to.equal(200);
      expect(index.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      const csp = index.headers.get('content-security-policy')!;
      expect(csp)
        .to.match(/default-src 'none'/)
        .and.match(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/)
        .and.match(/connect-src 'self'/);
      expect(csp).to.not.match(/unsafe|\*|http/);
      const etag = index.headers.get('etag')!;
      expect((await fetch(`${daemon.httpUrl}/ui/`, { headers: { 'if-none-match': etag } })).status).to.equal(304);
      expect((await fetch(`${daemon.httpUrl}/ui/js/main.js`)).headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect((await fetch(`${daemon.httpUrl}/ui/vendor/uPlot.min.css`)).headers.get('content-type')).to.equal('text/css; charset=utf-8');
      const redirect = await fetch(`${daemon.httpUrl}/ui`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')]).to.deep.equal([301, '/ui/']);
      for (const path of [
        '/ui/../package.json',
        '/ui/%2e%2e/package.json',
        '/ui/..%2fpackage.json',
        '/ui/js/..%2f..%2f..%2fpackage.json',
        '/ui/%00',
        '/ui/%E0%A4%A',
      ]) {
        const res = await fetch(`${daemon.httpUrl}${path}`);
        expect(res.status, path).to.be.oneOf([400, 404]);
        expect(await res.text(), path).to.not.contain('"name"');
      }
    });
  });

  describe('with tokens (subprotocol login, read-only role)', function () {
    let daemon: DaemonProcess;
    const ADMIN = 'a'.repeat(8) + '0123456789abcdef';
    const VIEWER = 'b'.repeat(8) + '0123456789abcdef';

    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'coordd-ui-'));
      const file = join(dir, 'tokens');
      writeFileSync(file, `${ADMIN} admin\n${VIEWER} viewer\n`);
      daemon = await startDaemon({ COORDD_TOKENS_FILE: file });
    });

    after(() => daemon?.stop());

    async function login(token: string): Promise<Page> {
      const { page } = await openPage(browser!, `${daemon.httpUrl}/ui/`);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('role').waitFor();
      return page;
    }

    it('a read-only (viewer) token sees tasks but no cancel button; an admin token sees it', async () => {
      const client = new CoordClient({ url: daemon.url, token: ADMIN, reconnect: false });
      await client.connect();
      const { taskId } = await client.assign({ type: 'waits.forever', requiredCapabilities: ['nobody-has-this'] });
      try {
        const viewer = await login(VIEWER);
        expect(await viewer.getByTestId('role').innerText())
          .to.contain('viewer')
          .and.contain('read-only');
        await viewer.goto(`${daemon.httpUrl}/ui/#/tasks/${taskId}`);
        await viewer.locator('h2', { hasText: taskId }).waitFor();
        expect(await viewer.getByTestId('cancel').count()).to.equal(0);
        expect(await viewer.locator('button', { hasText: /Spawn|Drain|Remove|Retry/ }).count()).to.equal(0);
        await viewer.close();

        const admin = await login(ADMIN);
        await admin.goto(`${daemon.httpUrl}/ui/#/tasks/${taskId}`);
        await admin.getByTestId('cancel').waitFor();
        await admin.close();
      } finally {
        await client.cancelTask(taskId);
        await client.close();
      }
    });

    it('a refused token keeps the login form with an error', async () => {
      const { page } = await openPage(browser!, `${daemon.httpUrl}/ui/`);
      await page.getByLabel('Token').fill('c'.repeat(24));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('That token was refused.').waitFor();
      await page.close();
    });
  });
});
