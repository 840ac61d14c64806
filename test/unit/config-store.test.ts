import { expect } from 'chai';
import { ConfigError, loadConfig, parseFlags } from '../../src/config.js';
import { helpText } from '../../src/config-help.js';

describe('config: COORDD_STORE, COORDD_FSYNC and COORDD_REATTACH_GRACE', () => {
  it('defaults to sqlite:./data/coordd.db with normal fsync', () => {
    const config = loadConfig({});
    expect(config.store).to.deep.equal({ kind: 'sqlite', path: './data/coordd.db' });
    expect(config.fsync).to.equal('normal');
  });

  it('COORDD_REATTACH_GRACE: 30 s by default, seconds from env or --reattach-grace, bad values refused', () => {
    expect(loadConfig({}).pool.reattachGraceMs).to.equal(30_000);
    expect(loadConfig({ COORDD_REATTACH_GRACE: '2.5' }).pool.reattachGraceMs).to.equal(2500);
    expect(loadConfig({}, parseFlags(['--reattach-grace', '0']).overrides).pool.reattachGraceMs).to.equal(0);
    expect(() => loadConfig({ COORDD_REATTACH_GRACE: '-1' })).to.throw(ConfigError, /^COORDD_REATTACH_GRACE: /);
    expect(helpText()).to.match(/COORDD_REATTACH_GRACE, --reattach-grace  \(default: 30\)/);
  });

  it('parses sqlite:<path>, memory and fsync full, from the environment and from flags', () => {
    expect(loadConfig({ COORDD_STORE: 'sqlite:/var/lib/coordd/state.db' }).store).to.deep.equal({ kind: 'sqlite', path: '/var/lib/coordd/state.db' });
    expect(loadConfig({ COORDD_STORE: ' memory ' }).store).to.deep.equal({ kind: 'memory' });
    const { overrides } = parseFlags(['--store', 'memory', '--fsync', 'full']);
    const config = loadConfig({}, overrides);
    expect(config.store).to.deep.equal({ kind: 'memory' });
    expect(config.fsync).to.equal('full');
  });

  it('refuses anything else with one message naming the variable', () => {
    for (const bad of ['sqlite:', 'sqlite', 'file:x.db', 'Memory', 'redis:/x', './data/coordd.db']) {
      expect(() => loadConfig({ COORDD_STORE: bad }), bad).to.throw(ConfigError, /^COORDD_STORE: must be sqlite:<path>, memory, or redis:\/\/…/);
    }
    expect(() => loadConfig({ COORDD_FSYNC: 'off' })).to.throw(ConfigError, /^COORDD_FSYNC: must be normal or full/);
  });

  it('accepts redis:// and rediss:// (cluster mode), keeping the URL for the cluster node', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://user:secret@cache:6380/0']) {
      expect(loadConfig({ COORDD_STORE: url }).store).to.deep.equal({ kind: 'redis', url });
    }
  });

  it('lists both settings in --help', () => {
    expect(helpText())
      .to.match(/COORDD_STORE, --store  \(default: sqlite:\.\/data\/coordd\.db\)/)
      .and.match(/COORDD_FSYNC, --fsync/);
  });
});
