import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { defaultFileConfig, parseFileConfig } from '../../src/config-file.js';

function fileWith(text: string, name = 'coordd.yml'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'coordd-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('the configuration file (COORDD_CONFIG)', () => {
  it('has the seed defaults when absent', () => {
    const c = loadConfig({});
    expect(c.configFile).to.equal(undefined);
    expect(c.file).to.deep.equal(defaultFileConfig());
    expect(c.file.alerts).to.include({ utilizationMin: 0.6, utilizationMax: 0.95, overheadMax: 0.05, completionRateMin: 0.95 });
    expect(c.file.routing.intentRules).to.deep.equal([]);
    expect(c.file.circuitBreaker.failureThreshold).to.be.above(0);
  });

  it('reads YAML, filling what it leaves out with defaults', () => {
    const path = fileWith(
      [
        'routing:',
        '  intentRules:',
        '    - capability: debugger',
        '      keywords: [stack trace, crash]',
        '    - capability: documentation',
        "      pattern: '\\bdocs?\\b'",
        'alerts:',
        '  utilizationMin: 0.5',
      ].join('\n'),
    );
    const c = loadConfig({ COORDD_CONFIG: path });
    expect(c.configFile).to.equal(path);
    expect(c.file.routing.intentRules).to.have.length(2);
    expect(c.file.routing.intentRules[1]).to.include({ pattern: '\\bdocs?\\b', flags: 'i' });
    expect(c.file.alerts.utilizationMin).to.equal(0.5);
    expect(c.file.alerts.utilizationMax).to.equal(0.95);
    expect(c.file.conversations.historyMessages).to.equal(defaultFileConfig().conversations.historyMessages);
  });

  it('reads JSON, and the --config flag works like the variable', () => {
    const path = fileWith(JSON.stringify({ circuitBreaker: { failureThreshold: 2, cooldownSeconds: 1.5 } }), 'coordd.json');
    expect(loadConfig({}, { COORDD_CONFIG: path }).file.circuitBreaker).to.deep.equal({ failureThreshold: 2, cooldownSeconds: 1.5 });
  });

  const bad: [string, string, RegExp][] = [
    ['an unknown section', 'routng: {}', /routng/],
    ['an unknown field', 'alerts: { utilisationMin: 0.5 }', /utilisationMin/],
    ['a threshold out of range', 'alerts: { utilizationMax: 1.5 }', /alerts\.utilizationMax/],
    ['a rule with neither keywords nor pattern', 'routing: { intentRules: [ { capability: x } ] }', /intentRules\[0\].*keywords or a pattern/],
    ['a pattern that is not a regex', "routing: { intentRules: [ { capability: x, pattern: '(' } ] }", /intentRules\[0\]\.pattern.*regular expression/],
    ['a number where text belongs', 'routing: { supervisorCapability: 3 }', /routing\.supervisorCapability/],
    ['text that is not YAML', 'routing: [unclosed', /not valid YAML/],
    [
      'utilization thresholds the wrong way round',
      'alerts: { utilizationMin: 0.9, utilizationMax: 0.5 }',
      /alerts\.utilizationMin: utilizationMin must be below utilizationMax/,
    ],
    ['a conversation cap above the total', 'conversations: { maxConversationBytes: 2000, maxTotalBytes: 1000 }', /conversations\.maxConversationBytes/],
  ];
  for (const [name, text, pattern] of bad) {
    it(`refuses ${name}, naming where`, () => {
      const r = parseFileConfig(text);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.problem).to.match(pattern);
      expect(() => loadConfig({ COORDD_CONFIG: fileWith(text) })).to.throw(ConfigError, /^COORDD_CONFIG: /);
    });
  }

  it('names a file it cannot read', () => {
    expect(() => loadConfig({ COORDD_CONFIG: '/nonexistent/coordd.yml' })).to.throw(ConfigError, /COORDD_CONFIG: cannot read .*ENOENT/);
  });

  it('treats an empty file as all defaults', () => {
    expect(parseFileConfig('')).to.deep.equal({ ok: true, config: defaultFileConfig() });
  });
});
