import { expect } from 'chai';
import { STRATEGY_NAMES } from '../../../src/schemas/common.js';
import { createStrategies, createStrategy } from '../../../src/routing/strategies.js';

describe('strategy registry', () => {
  it('creates every configured strategy under its own name', () => {
    const all = createStrategies();
    expect(Object.keys(all).sort()).to.deep.equal([...STRATEGY_NAMES].sort());
    for (const name of STRATEGY_NAMES) expect(all[name].name).to.equal(name);
  });

  it('creates fresh instances, so stateful strategies do not share state', () => {
    expect(createStrategy('ROUND_ROBIN')).to.not.equal(createStrategy('ROUND_ROBIN'));
  });

  it('rejects an unknown name', () => {
    expect(() => createStrategy('NOPE' as never)).to.throw(TypeError, /Unknown routing strategy/);
    expect(() => createStrategy('toString' as never)).to.throw(TypeError, /Unknown routing strategy/);
  });
});
