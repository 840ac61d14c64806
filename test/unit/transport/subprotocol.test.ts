import { expect } from 'chai';
import { credentialOf, offeredProtocols, tokenProtocol } from '../../../src/transport/subprotocol.js';

describe('transport/subprotocol', () => {
  it('splits the Sec-WebSocket-Protocol header', () => {
    expect(offeredProtocols(undefined)).to.deep.equal([]);
    expect(offeredProtocols(' coordd.v1 ,coordd.token.abc,, ')).to.deep.equal(['coordd.v1', 'coordd.token.abc']);
  });

  it('finds the first coordd.token.<token> protocol, never an empty one', () => {
    expect(tokenProtocol(['coordd.v1', 'coordd.token.a1', 'coordd.token.b2'])).to.equal('coordd.token.a1');
    expect(tokenProtocol(new Set(['coordd.token.', 'other']))).to.equal(undefined);
  });

  it('authenticates with the Authorization header first, else the subprotocol token as a bearer credential', () => {
    expect(credentialOf('Bearer from-header', 'coordd.token.from-protocol')).to.equal('Bearer from-header');
    expect(credentialOf(undefined, 'x, coordd.token.from-protocol')).to.equal('Bearer from-protocol');
    expect(credentialOf(undefined, 'x')).to.equal(undefined);
    expect(credentialOf(undefined, undefined)).to.equal(undefined);
  });
});
