import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
let told = false;

/**
 * The Chromium playwright-core should drive: COORDD_CHROMIUM, else Debian's. Undefined (the
 * tests skip, saying so once) when none is installed; with CI=true a missing browser throws.
 */
export function findChromium(): string | undefined {
  const path = [process.env.COORDD_CHROMIUM, ...CANDIDATES].find((p) => p !== undefined && p !== '' && existsSync(p));
  if (path) return path;
  if (process.env.CI === 'true') throw new Error(`no Chromium found (tried ${CANDIDATES.join(', ')}; set COORDD_CHROMIUM): CI needs it`);
  if (!told) {
    told = true;
    console.log(`  (browser tests skipped: no Chromium at ${CANDIDATES.join(', ')}; set COORDD_CHROMIUM or install Debian's chromium)`);
  }
  return undefined;
}
