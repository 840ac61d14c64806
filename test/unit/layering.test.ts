import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

/** Layers point one way: schemas ← rpc ← domain ← daemon wiring; transport knows no domain. */
const RULES: { layer: string; forbidden: RegExp; why: string }[] = [
  { layer: 'coordination', forbidden: /\/(rpc|transport|api|observability|pool)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'domain stays free of protocol and I/O' },
  { layer: 'resources', forbidden: /\/(rpc|transport|api|observability|pool|coordination|routing|stores)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'domain stays free of protocol and I/O' },
  { layer: 'routing', forbidden: /\/(rpc|transport|api|observability)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'domain stays free of protocol and I/O' },
  { layer: 'messaging', forbidden: /\/(rpc|transport|api|observability)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'domain stays free of protocol and I/O' },
  { layer: 'conversations', forbidden: /\/(rpc|transport|api|observability|pool|routing|messaging|stores)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'a store knows nothing but its data' },
  {
    layer: 'alerts',
    // The one pure function it shares with the metrics: PromQL's histogram_quantile, so both estimate alike.
    forbidden: /\/(rpc|transport|api|pool|routing|coordination)\/|\/observability\/(?!histogram-quantile\.js$)|\/daemon\.js$|^(ws|pino|prom-client)$/,
    why: 'alerts are domain: fed numbers, no protocol, I/O or other domain',
  },
  { layer: 'stores', forbidden: /\/(rpc|transport|api|observability|routing|messaging|coordination|wiring|spawn)\/|\/daemon\.js$|^(ws|pino|prom-client)$/, why: 'stores persist domain records and know no protocol' },
  { layer: 'pool', forbidden: /\/stores\//, why: 'the pool sees stores only through its TaskStore interface' },
  { layer: 'rpc', forbidden: /\/(coordination|routing|pool|transport|api)\/|\/daemon\.js$/, why: 'the RPC engine knows no domain' },
  { layer: 'transport', forbidden: /\/(coordination|routing|pool|rpc|api)\/|\/daemon\.js$/, why: 'transport knows no domain and no JSON-RPC' },
  { layer: 'jsonrpc', forbidden: /^\.\.?\/(?!pending-requests\.js$)/, why: 'the pending-request table is shared by the daemon and the client library: it imports nothing of coordd' },
  { layer: 'client', forbidden: /^\.\.\/(?!schemas\/|jsonrpc\/)/, why: 'coordd/client loads no daemon code: only schemas/ and the shared jsonrpc/ table' },
  { layer: 'schemas', forbidden: /\/(coordination|routing|pool|rpc|transport|api|observability)\/|\/daemon\.js$/, why: 'schemas are the base layer' },
];

describe('layering', () => {
  for (const rule of RULES) {
    it(`src/${rule.layer} imports nothing it must not (${rule.why})`, () => {
      const offenders: string[] = [];
      for (const file of files(join(SRC, rule.layer))) {
        for (const spec of imports(file)) if (rule.forbidden.test(spec)) offenders.push(`${relative(SRC, file)} → ${spec}`);
      }
      expect(offenders).to.deep.equal([]);
    });
  }

  it('domain code takes time and randomness only from the injected Clock and Random', () => {
    const offenders: string[] = [];
    for (const layer of ['coordination', 'routing', 'pool', 'messaging', 'conversations', 'alerts', 'resources']) {
      let list: string[] = [];
      try {
        list = files(join(SRC, layer));
      } catch {
        continue;
      }
      for (const file of list) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/^\s*(\/\/|\*)/.test(line)) return;
            if (/Date\.now\(\)|new Date\(\)|Math\.random\(\)|(?<![.\w])(setTimeout|setInterval|setImmediate)\(/.test(line)) offenders.push(`${relative(SRC, file)}:${i + 1}`);
          });
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
