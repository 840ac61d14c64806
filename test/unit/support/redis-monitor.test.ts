import { expect } from 'chai';
import { parseMonitorLine, TermAttribution, type MonitoredCommand } from '../../support/redis-monitor.js';

const P = '{coordd}:';
let clock = 0;
const cmd = (client: string, ...args: string[]): MonitoredCommand => ({ at: ++clock, client, args });

describe('support/redis-monitor (MONITOR lines, writes attributed to terms)', () => {
  it('parses a MONITOR line: time in ms, the client, the arguments with their escapes', () => {
    expect(parseMonitorLine('1339518083.107412 [0 127.0.0.1:60866] "set" "a \\"b\\"" "x\\\\y" "\\x01\\n"')).to.deep.equal({
      at: 1339518083107.412,
      client: '127.0.0.1:60866',
      args: ['SET', 'a "b"', 'x\\y', '\u0001\n'],
    });
    expect(parseMonitorLine('1700000000.5 [0 lua] "incr" "{coordd}:term"')).to.deep.equal({
      at: 1700000000500,
      client: 'lua',
      args: ['INCR', '{coordd}:term'],
    });
    expect(parseMonitorLine('OK')).to.equal(undefined);
  });

  it("tags each write a script ran with its caller's term, and finds none stale in a clean handover", () => {
    const t = new TermAttribution(P);
    t.add(cmd('c1', 'EVALSHA', 'acquire', '3'));
    t.add(cmd('lua', 'SET', `${P}leader`, 'n1', 'NX', 'PX', '1000'));
    t.add(cmd('lua', 'INCR', `${P}term`));
    t.add(cmd('c1', 'EVALSHA', 'commit', '2'));
    t.add(cmd('lua', 'GET', `${P}term`));
    t.add(cmd('lua', 'HSET', `${P}tasks`, 't1', '{}'));
    t.add(cmd('c2', 'EVALSHA', 'acquire', '3'));
    t.add(cmd('lua', 'SET', `${P}leader`, 'n2', 'NX', 'PX', '1000'));
    t.add(cmd('lua', 'INCR', `${P}term`));
    t.add(cmd('c2', 'EVALSHA', 'commit', '2'));
    t.add(cmd('lua', 'HSET', `${P}tasks`, 't1', '{"state":"COMPLETED"}'));
    t.add(cmd('c1', 'EVALSHA', 'commit', '2')); // the deposed leader tries: the script refuses, no write follows
    t.add(cmd('lua', 'GET', `${P}term`));
    expect(t.terms.map((x) => [x.term, x.client])).to.deep.equal([
      [1, 'c1'],
      [2, 'c2'],
    ]);
    expect(t.writes.map((w) => [w.term, w.client, w.command])).to.deep.equal([
      [1, 'c1', 'HSET'],
      [2, 'c2', 'HSET'],
    ]);
    expect(t.staleWrites()).to.deep.equal([]);
  });

  it('a write by the script of a deposed leader, after the next term began, is stale', () => {
    const t = new TermAttribution(P, 4);
    t.add(cmd('c1', 'EVAL', 'acquire', '3'));
    t.add(cmd('lua', 'INCR', `${P}term`));
    t.add(cmd('c2', 'EVAL', 'acquire', '3'));
    t.add(cmd('lua', 'INCR', `${P}term`));
    t.add(cmd('c1', 'EVALSHA', 'commit', '2'));
    t.add(cmd('lua', 'HDEL', `${P}tasks`, 't9'));
    const stale = t.staleWrites();
    expect(stale.map((w) => [w.term, w.current, w.command, w.key])).to.deep.equal([[5, 6, 'HDEL', `${P}tasks`]]);
  });

  it('ignores plain commands, reads, leadership and membership keys, other prefixes and callers that never won', () => {
    const t = new TermAttribution(P);
    t.add(cmd('c1', 'EVALSHA', 'acquire'));
    t.add(cmd('lua', 'INCR', `${P}term`));
    t.add(cmd('c1', 'HSET', `${P}nodes`, 'n1', '{}')); // not in a script
    t.add(cmd('c1', 'EVALSHA', 'renew'));
    t.add(cmd('lua', 'PEXPIRE', `${P}leader`, '1000'));
    t.add(cmd('lua', 'HGET', `${P}tasks`, 't1'));
    t.add(cmd('lua', 'SET', `other:key`, 'x'));
    t.add(cmd('c9', 'EVALSHA', 'commit'));
    t.add(cmd('lua', 'HSET', `${P}tasks`, 't1', '{}')); // c9 never won: its term is unknown
    t.add(cmd('c1', 'GET', 'x'));
    t.add(cmd('lua', 'HSET', `${P}tasks`, 't1', '{}')); // no script call before it on this client
    expect(t.writes).to.deep.equal([]);
  });
});
