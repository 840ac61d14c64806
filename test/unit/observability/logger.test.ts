import { expect } from 'chai';
import { createLogger, REDACT_PATHS } from '../../../src/observability/logger.js';

const SECRET = 'tok-5f1c0e9a7b3d4c2e8a6f';

/** The real daemon logger, writing its JSON lines into an array instead of stdout. */
function captured(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

/** One logged object per redacted path, the token at that path, next to a field that must survive. */
const CASES: Record<string, { obj: Record<string, unknown>; at: (line: Record<string, any>) => unknown }> = {
  token: { obj: { token: SECRET, kept: 'visible' }, at: (l) => l.token },
  '*.token': { obj: { grant: { token: SECRET, role: 'agent' }, kept: 'visible' }, at: (l) => l.grant.token },
  tokens: { obj: { tokens: [SECRET, `${SECRET}-2`], kept: 'visible' }, at: (l) => l.tokens },
  authorization: { obj: { authorization: `Bearer ${SECRET}`, kept: 'visible' }, at: (l) => l.authorization },
  '*.authorization': { obj: { upgrade: { authorization: `Bearer ${SECRET}` }, kept: 'visible' }, at: (l) => l.upgrade.authorization },
  'headers.authorization': { obj: { headers: { authorization: `Bearer ${SECRET}`, host: 'h' }, kept: 'visible' }, at: (l) => l.headers.authorization },
  '*.headers.authorization': {
    obj: { req: { headers: { authorization: `Bearer ${SECRET}`, host: 'h' } }, kept: 'visible' },
    at: (l) => l.req.headers.authorization,
  },
  joinToken: { obj: { joinToken: SECRET, kept: 'visible' }, at: (l) => l.joinToken },
  '*.joinToken': { obj: { spawn: { joinToken: SECRET, agentId: 'a1' }, kept: 'visible' }, at: (l) => l.spawn.joinToken },
  'headers["sec-websocket-protocol"]': {
    obj: { headers: { 'sec-websocket-protocol': `coordd.token.${SECRET}`, host: 'h' }, kept: 'visible' },
    at: (l) => l.headers['sec-websocket-protocol'],
  },
  '*.headers["sec-websocket-protocol"]': {
    obj: { upgrade: { headers: { 'sec-websocket-protocol': `coordd.token.${SECRET}` } }, kept: 'visible' },
    at: (l) => l.upgrade.headers['sec-websocket-protocol'],
  },
};

describe('observability/logger', () => {
  it('has a case below for every redacted path', () => {
    expect(Object.keys(CASES)).to.have.members(REDACT_PATHS);
  });

  for (const [path, { obj, at }] of Object.entries(CASES)) {
    it(`never writes a token at ${path}, and keeps the rest of the line`, () => {
      const { logger, lines, parsed } = captured();
      logger.info(obj, 'carrying a token');
      expect(lines).to.have.length(1);
      expect(lines[0]).not.to.contain(SECRET);
      const [line] = parsed();
      expect(at(line!)).to.equal('[redacted]');
      expect(line).to.include({ kept: 'visible', msg: 'carrying a token', level: 'info', service: 'coordd' });
    });
  }

  it('redacts in child loggers and in their bindings too', () => {
    const { logger, lines, parsed } = captured();
    const child = logger.child({ connectionId: 'c1', token: SECRET });
    child.warn({ headers: { authorization: `Bearer ${SECRET}`, host: 'example' } }, 'upgrade refused');
    expect(lines.join('')).not.to.contain(SECRET);
    const [line] = parsed();
    expect(line).to.deep.include({ connectionId: 'c1', token: '[redacted]', headers: { authorization: '[redacted]', host: 'example' }, level: 'warn' });
  });

  it('does not redact look-alike fields, and honours the level', () => {
    const { logger, parsed } = captured('info');
    logger.debug({ token: SECRET }, 'below the level');
    logger.info({ tokenCount: 3, role: 'agent' }, 'counted');
    expect(parsed()).to.have.length(1);
    expect(parsed()[0]).to.include({ tokenCount: 3, role: 'agent' });
    expect(parsed()[0]!.time).to.match(/^\d{4}-\d\d-\d\dT/);
  });
});
