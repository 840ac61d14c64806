import { expect } from 'chai';
import { REDACTED, helpText, redact, showValue } from '../../src/config-help.js';

describe('config help and redaction', () => {
  it('redacts secret-named settings, URL passwords and secret fields at any depth; keeps the rest', () => {
    expect(redact('COORDD_TOKEN', 'abc')).to.equal(REDACTED);
    expect(redact('COORDD_TOKENS_FILE', '/etc/coordd/tokens.json')).to.equal('/etc/coordd/tokens.json');
    expect(redact('COORDD_STORE', 'rediss://user:hunter2@redis:6380/0')).to.equal(`rediss://user:${REDACTED}@redis:6380/0`);
    expect(redact('COORDD_STORE', { kind: 'redis', url: 'redis://:pw@h:1/0', password: 'pw' })).to.deep.equal({
      kind: 'redis',
      url: `redis://:${REDACTED}@h:1/0`,
      password: REDACTED,
    });
    expect(redact('COORDD_PORT', 7420)).to.equal(7420);
    expect(redact('COORDD_TOKEN', undefined)).to.equal(undefined);
  });

  it('shows a store as it is written, other structured defaults as JSON, scalars as they are', () => {
    expect(showValue({ kind: 'sqlite', path: './data/coordd.db' })).to.equal('sqlite:./data/coordd.db');
    expect(showValue({ kind: 'memory' })).to.equal('memory');
    expect(showValue({ maxAttempts: 3 })).to.equal('{"maxAttempts":3}');
    expect(showValue(0.85)).to.equal('0.85');
    expect(showValue(undefined)).to.equal('none');
  });

  it('the daemon help never prints [object Object]', () => {
    expect(helpText()).not.to.contain('[object Object]');
  });
});
