import { expect } from 'chai';
import { AppError } from '../../../src/errors.js';
import { sequentialIds } from '../../../src/ids.js';
import { claimedAgentId } from '../../../src/pool/claimed-agent-id.js';

/** What a registration may call itself under its token's scope. */
describe('claimedAgentId', () => {
  const refusal = (fn: () => unknown): AppError => {
    try {
      fn();
    } catch (e) {
      return e as AppError;
    }
    throw new Error('expected a refusal');
  };

  it('an unscoped token may name any id, or none (the registry assigns one)', () => {
    expect(claimedAgentId(undefined, 'anything', sequentialIds('x'))).to.equal('anything');
    expect(claimedAgentId(undefined, undefined, sequentialIds('x'))).to.equal(undefined);
  });

  it('a prefix-scoped token gets a fresh id inside its prefix, and may name ids inside it only', () => {
    const scope = { agentIdPrefix: 'team-a-' };
    expect(claimedAgentId(scope, undefined, sequentialIds('n'))).to.match(/^team-a-/);
    expect(claimedAgentId(scope, 'team-a-7', sequentialIds('n'))).to.equal('team-a-7');
    const err = refusal(() => claimedAgentId(scope, 'team-b-1', sequentialIds('n')));
    expect(err).to.be.instanceOf(AppError).and.include({ errorName: 'FORBIDDEN' });
    expect(err.data).to.deep.include({ agentId: 'team-b-1', agentIdPrefix: 'team-a-' });
  });

  it('a token scoped to a list must name one of its ids; an error shows at most 20 of them', () => {
    const agentIds = Array.from({ length: 30 }, (_, i) => `a-${i}`);
    expect(claimedAgentId({ agentIds }, 'a-3', sequentialIds('n'))).to.equal('a-3');
    const unnamed = refusal(() => claimedAgentId({ agentIds }, undefined, sequentialIds('n')));
    expect(unnamed).to.include({ errorName: 'FORBIDDEN' });
    expect((unnamed.data as { agentIds: string[] }).agentIds).to.have.length(20);
    expect(refusal(() => claimedAgentId({ agentIds }, 'a-99', sequentialIds('n')))).to.include({ errorName: 'FORBIDDEN' });
  });
});
