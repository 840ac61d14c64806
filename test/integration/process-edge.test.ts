import { expect } from 'chai';
import { runDaemon, startDaemon } from '../support/daemon-process.js';

describe('the daemon process at its edges', () => {
  it('exits 2 with one stderr line naming the address when the port is already in use', async () => {
    const first = await startDaemon();
    try {
      const r = await runDaemon({ COORDD_PORT: String(first.port) });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal(`coordd: cannot listen on 127.0.0.1:${first.port}: address already in use\n`);
      expect(r.stdout).not.to.contain('fatal').and.not.to.contain('stack').and.not.to.contain('listening');
    } finally {
      await first.stop();
    }
  });

  it('warns that anyone who can reach the port is admin when --insecure binds a non-loopback address', async () => {
    const d = await startDaemon({ COORDD_HOST: '0.0.0.0' }, ['--insecure']);
    try {
      const warning = await d.waitForLog((l) => l.level === 'warn' && String(l.msg).includes('no tokens'));
      expect(warning.msg).to.match(/anyone who can reach 0\.0\.0\.0 port \d+ is admin/);
      expect(warning.msg).not.to.contain('loopback only');
    } finally {
      expect(await d.stop()).to.equal(0);
    }
  });

  it('still says "loopback only" on the loopback default', async () => {
    const d = await startDaemon();
    const warning = await d.waitForLog((l) => l.level === 'warn' && String(l.msg).includes('no tokens'));
    expect(warning.msg).to.contain('loopback only');
    await d.stop();
  });
});
