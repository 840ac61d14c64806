import { expect } from 'chai';
import type { RoutableAgent } from '../../../src/messaging/routable-agent.js';
import { pickSupervisor } from '../../../src/messaging/supervisor.js';

const sup = (agentId: string, inFlight: number): RoutableAgent => ({
  agentId,
  capabilities: new Set(['supervisor']),
  inFlight,
  capacity: 4,
  call: () => Promise.resolve(null),
});

describe('pickSupervisor', () => {
  it('is undefined without supervisors', () => {
    expect(pickSupervisor([], 0)).to.equal(undefined);
  });

  it('takes the one with the fewest tasks in flight, whatever the turn', () => {
    const list = [sup('a', 3), sup('b', 1), sup('c', 2)];
    expect([0, 1, 2, 7].map((turn) => pickSupervisor(list, turn)!.agentId)).to.deep.equal(['b', 'b', 'b', 'b']);
  });

  it('rotates by turn among those tied for the least work, in their order', () => {
    const list = [sup('a', 1), sup('b', 0), sup('c', 5), sup('d', 0)];
    expect([0, 1, 2, 3].map((turn) => pickSupervisor(list, turn)!.agentId)).to.deep.equal(['b', 'd', 'b', 'd']);
  });
});
