import { expect } from 'chai';
import { isLoopback, parseTokens, TokenFileError, TokenTable } from '../../../src/transport/auth.js';

const T1 = 'aaaaaaaaaaaaaaaa-agent';
const T2 = 'bbbbbbbbbbbbbbbb-operator';
const T3 = 'cccccccccccccccc-admin';
const WANT = [
  { token: T1, role: 'agent' },
  { token: T2, role: 'operator' },
  { token: T3, role: 'admin' },
];

function refusal(text: string): TokenFileError {
  try {
    parseTokens(text);
  } catch (err) {
    expect(err).to.be.instanceOf(TokenFileError);
    return err as TokenFileError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('transport/auth', () => {
  describe('parseTokens', () => {
    it('reads the JSON array form [{token, role}]', () => {
      expect(parseTokens(JSON.stringify(WANT))).to.deep.equal(WANT);
    });

    it('reads the {tokens: [...]} form', () => {
      expect(parseTokens(JSON.stringify({ tokens: WANT }))).to.deep.equal(WANT);
    });

    it('reads the {token: role} map form', () => {
      expect(parseTokens(JSON.stringify({ [T1]: 'agent', [T2]: 'operator', [T3]: 'admin' }))).to.deep.equal(WANT);
    });

    it('reads "token role" lines, skipping comments, blank lines and surrounding space (CRLF too)', () => {
      const text = `# fleet tokens\n\n${T1} agent\r\n   ${T2}\toperator  \n# the operator on call\n${T3} admin\n\n`;
      expect(parseTokens(text)).to.deep.equal(WANT);
    });

    it('reads an empty file (or only comments) as no tokens', () => {
      expect(parseTokens('')).to.deep.equal([]);
      expect(parseTokens('# nothing yet\n\n')).to.deep.equal([]);
      expect(parseTokens('[]')).to.deep.equal([]);
    });

    it('refuses an unknown role in every form, naming the roles', () => {
      expect(refusal(`${T1} root`).message).to.match(/line 1: .*agent, viewer, operator, admin/);
      expect(refusal(JSON.stringify([{ token: T1, role: 'root' }])).message)
        .to.be.a('string')
        .and.not.equal('');
      refusal(JSON.stringify({ [T1]: 'superuser' }));
    });

    it('refuses JSON that does not parse, with a clear message', () => {
      expect(refusal(`[{"token": "${T1}", "role": "agent"`).message).to.equal('not valid JSON');
      expect(refusal('{ not json }').message).to.equal('not valid JSON');
    });

    it('refuses short tokens and malformed lines, naming the line', () => {
      expect(refusal(JSON.stringify([{ token: 'short', role: 'agent' }])).message).to.contain('at least 16 characters');
      expect(refusal(`# header\n${T1} agent\n${T2}`).message).to.match(/^line 3: expected "<token> <role>"/);
      expect(refusal(`${T1} agent extra`).message).to.match(/^line 1:/);
      expect(refusal('short agent').message).to.contain('16+ characters');
      refusal(JSON.stringify({ short: 'agent' }));
      refusal(JSON.stringify([{ token: T1 }]));
    });
  });

  describe('parseTokens: names and agent id scopes (JSON only)', () => {
    it('reads name, agentIds and agentIdPrefix on agent tokens', () => {
      const entries = [
        { token: T1, role: 'agent', name: 'team-a', agentIdPrefix: 'team-a-' },
        { token: T2, role: 'agent', agentIds: ['w1', 'w2'], agentIdPrefix: 'w-' },
        { token: T3, role: 'admin', name: 'root' },
      ];
      expect(parseTokens(JSON.stringify(entries))).to.deep.equal(entries);
      expect(parseTokens(JSON.stringify({ tokens: entries }))).to.deep.equal(entries);
    });

    it('refuses bad entries, naming the entry and the field, never the token', () => {
      const cases: [object[], RegExp][] = [
        [[{ token: T1, role: 'agent', agentIds: [] }], /^entry 1: agentIds: agentIds must list at least one id/],
        [[{ token: T1, role: 'agent', agentIds: [''] }], /^entry 1: agentIds\.0: /],
        [[{ token: T1, role: 'agent', agentIdPrefix: '' }], /^entry 1: agentIdPrefix: /],
        [[{ token: T1, role: 'agent', agentIdPrefix: 'x'.repeat(201) }], /^entry 1: agentIdPrefix: /],
        [
          [
            { token: T1, role: 'agent' },
            { token: T2, role: 'operator', agentIds: ['a'] },
          ],
          /^entry 2: agentIds and agentIdPrefix apply only to agent tokens$/,
        ],
        [[{ token: T1, role: 'admin', agentIdPrefix: 'a' }], /apply only to agent tokens/],
        [[{ token: T1, role: 'agent', agentID: ['a'] }], /^entry 1: .*agentID/],
        [[{ token: T1, role: 'agent', name: 'has space' }], /^entry 1: name: /],
        [[{ token: T1, role: 'agent', name: 'spawn:x' }], /^entry 1: name: /],
        [
          [
            { token: T1, role: 'agent', name: 'a' },
            { token: T2, role: 'agent', name: 'a' },
          ],
          /^entry 2: name "a" is already used by entry 1$/,
        ],
        [
          [
            { token: T1, role: 'agent' },
            { token: T2, role: 'agent' },
            { token: T1, role: 'admin' },
          ],
          /^entry 3: the token of entry 1 again/,
        ],
      ];
      for (const [entries, message] of cases) {
        const err = refusal(JSON.stringify(entries));
        expect(err.message, JSON.stringify(entries)).to.match(message);
        for (const token of [T1, T2]) expect(err.message).not.to.contain(token);
      }
      expect(refusal(JSON.stringify({ tokens: 'nope' })).message).to.match(/^expected \[\{token, role/);
    });

    it('says scopes need JSON when a line has more than a token and a role; refuses a repeated token line', () => {
      expect(refusal(`${T1} agent team-a-`).message).to.match(/^line 1: .*need the JSON form/);
      const repeated = refusal(`${T1} agent\n# again\n${T1} admin\n`);
      expect(repeated.message).to.equal('line 3: the token of line 1 again (list each token once)');
    });
  });

  describe('TokenTable', () => {
    const table = () => new TokenTable(WANT as { token: string; role: 'agent' | 'operator' | 'admin' }[]);

    it('grants the role of a configured bearer token, case-insensitive scheme, and nothing to others', () => {
      const t = table();
      expect(t.enforced).to.equal(true);
      expect(t.authenticate(`Bearer ${T1}`)).to.deep.equal({ role: 'agent', credential: 'token#1' });
      expect(t.authenticate(`bearer ${T2}`)).to.deep.equal({ role: 'operator', credential: 'token#2' });
      expect(t.authenticate(`Bearer   ${T3}  `)).to.deep.equal({ role: 'admin', credential: 'token#3' });
      expect(t.authenticate(`Bearer ${T1}x`)).to.equal(undefined);
      expect(t.authenticate(`Bearer ${T1.slice(0, -1)}`)).to.equal(undefined);
      expect(t.authenticate(T1)).to.equal(undefined); // no scheme
      expect(t.authenticate(`Basic ${T1}`)).to.equal(undefined);
      expect(t.authenticate(`Bearer ${T1} ${T2}`)).to.equal(undefined);
      expect(t.authenticate('Bearer ')).to.equal(undefined);
      expect(t.authenticate(undefined)).to.equal(undefined);
    });

    it('names each credential by its entry name or position, and carries agent id scopes', () => {
      const t = new TokenTable([
        { token: T1, role: 'agent', agentIds: ['w1'] },
        { token: T2, role: 'agent', name: 'team-a', agentIdPrefix: 'team-a-' },
        { token: T3, role: 'admin' },
      ]);
      expect(t.authenticate(`Bearer ${T1}`)).to.deep.equal({ role: 'agent', credential: 'token#1', scope: { agentIds: ['w1'] } });
      expect(t.authenticate(`Bearer ${T2}`)).to.deep.equal({ role: 'agent', credential: 'team-a', scope: { agentIdPrefix: 'team-a-' } });
      expect(t.authenticate(`Bearer ${T3}`)).to.deep.equal({ role: 'admin', credential: 'token#3' });
      expect(
        () =>
          new TokenTable([
            { token: T1, role: 'agent', name: 'x' },
            { token: T2, role: 'operator', name: 'x' },
          ]),
      ).to.throw(TokenFileError, /two tokens are named x/);
    });

    it('keeps only digests: no configured token text is held by the table', () => {
      const t = table();
      const held = JSON.stringify([...(t as unknown as { grants: Map<string, unknown> }).grants.entries()]);
      for (const { token } of WANT) expect(held).not.to.contain(token);
    });

    it('admits everyone as admin when no tokens are configured', () => {
      const t = new TokenTable([]);
      expect(t.enforced).to.equal(false);
      expect(t.authenticate(undefined)).to.deep.equal({ role: 'admin' });
      expect(t.authenticate('Bearer anything-at-all-here')).to.deep.equal({ role: 'admin' });
    });

    it('a one-time join token grants its principal once; added tokens do not turn enforcement on', () => {
      const open = new TokenTable([]);
      open.add('join-token-0123456789', { role: 'agent', principal: 'worker-1' }, { once: true });
      expect(open.enforced).to.equal(false);
      expect(open.authenticate('Bearer join-token-0123456789')).to.deep.equal({ role: 'agent', principal: 'worker-1', credential: 'worker-1' });
      expect(open.authenticate('Bearer join-token-0123456789')).to.deep.equal({ role: 'admin' }); // spent: back to the open default
      const t = table();
      t.add('join-token-0123456789', { role: 'agent', principal: 'worker-2' }, { once: true });
      expect(t.authenticate('Bearer join-token-0123456789')).to.deep.equal({ role: 'agent', principal: 'worker-2', credential: 'worker-2' });
      expect(t.authenticate('Bearer join-token-0123456789')).to.equal(undefined);
    });

    it('a reusable added token works until removed', () => {
      const t = table();
      t.add('reusable-token-0123456789', { role: 'operator' });
      expect(t.authenticate('Bearer reusable-token-0123456789')).to.deep.equal({ role: 'operator', credential: 'added#1' });
      expect(t.authenticate('Bearer reusable-token-0123456789')).to.deep.equal({ role: 'operator', credential: 'added#1' });
      t.remove('reusable-token-0123456789');
      expect(t.authenticate('Bearer reusable-token-0123456789')).to.equal(undefined);
      t.remove(T1);
      expect(t.authenticate(`Bearer ${T1}`)).to.equal(undefined);
      expect(t.enforced).to.equal(true);
    });
  });

  describe('isLoopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', ' localhost ']) {
      it(`${JSON.stringify(host)} is loopback`, () => expect(isLoopback(host)).to.equal(true));
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '192.168.1.10',
      '10.0.0.1',
      '8.8.8.8',
      '2001:db8::1',
      '::ffff:8.8.8.8',
      '128.0.0.1',
      '127.0.0',
      'localhost.example.com',
      'example.com',
    ]) {
      it(`${JSON.stringify(host)} is not loopback`, () => expect(isLoopback(host)).to.equal(false));
    }
  });
});
