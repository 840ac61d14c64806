// Takes docs/dashboard.png (overview) and docs/dashboard-agents.png: a daemon on a free port, three spawned echo workers, a few tasks
// (some failing), then the overview and the agents view in Debian's Chromium. Run: npm run docs:screenshot
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CoordClient } from '../src/client/index.js';
import { startDaemon } from '../test/support/daemon-process.js';

const shot = (name: string): string => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
const daemon = await startDaemon({ COORDD_RETRY_BASE_DELAY: '0' });
const client = new CoordClient({ url: daemon.url, reconnect: false });
try {
  await client.connect();
  const { agentIds } = (await client.request('pool.spawn', { count: 3 })) as { agentIds: string[] };
  for (const [i, agentId] of agentIds.entries()) {
    for (const [signalType, value] of [
      ['load', 0.3 + 0.25 * i],
      ['quality', 0.9 - 0.1 * i],
      ['latency', 0.2 + 0.2 * i],
    ] as const) {
      await client.signal({ agentId, signalType, value });
    }
  }
  const work = [];
  for (let i = 0; i < 150; i++)
    work.push(client.assign({ type: i % 5 === 0 ? 'review' : 'summarize', payload: { i, sleepMs: 60 + (i % 7) * 40, fail: i % 9 === 0, retryable: false } }));
  await Promise.all(work);
  const browser = await chromium.launch({ executablePath: process.env.COORDD_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(`${daemon.httpUrl}/ui/#/overview`);
  await page.waitForTimeout(6000); // let the live charts gather a few seconds of points
  await page.screenshot({ path: shot('dashboard.png') });
  await page.goto(`${daemon.httpUrl}/ui/#/agents`);
  await page.locator('.card').nth(2).waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: shot('dashboard-agents.png') });
  await browser.close();
} finally {
  await client.close();
  await daemon.stop();
}
