import { expect } from 'chai';
import { inScope } from '../../../src/schemas/agent-scope.js';

describe('schemas/agent-scope', () => {
  it('admits the listed ids, ids with the prefix, or either when both are given', () => {
    expect(inScope({ agentIds: ['w1', 'w2'] }, 'w2')).to.equal(true);
    expect(inScope({ agentIds: ['w1', 'w2'] }, 'w3')).to.equal(false);
    expect(inScope({ agentIds: ['w1'] }, 'w10'), 'a list is exact').to.equal(false);
    expect(inScope({ agentIdPrefix: 'team-a-' }, 'team-a-7')).to.equal(true);
    expect(inScope({ agentIdPrefix: 'team-a-' }, 'team-a')).to.equal(false);
    expect(inScope({ agentIdPrefix: 'team-a-' }, 'TEAM-A-7'), 'case matters').to.equal(false);
    expect(inScope({ agentIds: ['lead'], agentIdPrefix: 'team-a-' }, 'lead')).to.equal(true);
    expect(inScope({ agentIds: ['lead'], agentIdPrefix: 'team-a-' }, 'team-a-1')).to.equal(true);
    expect(inScope({ agentIds: ['lead'], agentIdPrefix: 'team-a-' }, 'team-b-1')).to.equal(false);
    expect(inScope({}, 'anything'), 'an empty scope admits nothing').to.equal(false);
  });
});
