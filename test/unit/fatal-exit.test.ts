import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Run a child that installs the daemon's fatal handlers, then fails the way `how` says. */
async function runFailing(how: 'throw' | 'reject'): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const fail = how === 'throw' ? "setImmediate(() => { throw new Error('boom') })" : "void Promise.reject(new Error('boom'))";
  const script = [
    "import { installFatalHandlers } from './src/main.ts';",
    "import { createLogger } from './src/observability/logger.ts';",
    "installFatalHandlers({ logger: createLogger('info') });",
    fail,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines };
}

describe('the fatal policy (a bug escaped every per-request guard)', function () {
  this.timeout(20_000);

  for (const [how, kind] of [
    ['throw', 'uncaughtException'],
    ['reject', 'unhandledRejection'],
  ] as const) {
    it(`logs fatal with context and exits 70 on an ${kind}`, async () => {
      const { code, lines } = await runFailing(how);
      expect(code).to.equal(70);
      const fatal = lines.find((l) => l.msg === 'unexpected exception: exiting for a restart');
      expect(fatal, JSON.stringify(lines)).to.include({ level: 'fatal', kind });
      expect(fatal).to.have.property('pid').that.is.a('number');
      expect(fatal).to.have.property('rssBytes').that.is.a('number');
      expect((fatal!.err as { message: string }).message).to.equal('boom');
    });
  }
});
