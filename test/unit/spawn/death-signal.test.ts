import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { deathSignalWrapper } from '../../../src/spawn/spawner.js';

describe('spawn/deathSignalWrapper', () => {
  it('wraps commands in setpriv --pdeathsig SIGTERM on Linux when setpriv exists', () => {
    const found = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    const wrapper = deathSignalWrapper('linux');
    if (found) expect(wrapper).to.deep.equal([found, '--pdeathsig', 'SIGTERM', '--']);
    else expect(wrapper).to.deep.equal([]);
  });

  it('uses nothing elsewhere, or when setpriv is missing', () => {
    expect(deathSignalWrapper('darwin')).to.deep.equal([]);
    expect(deathSignalWrapper('linux', ['/nonexistent/setpriv'])).to.deep.equal([]);
  });
});
