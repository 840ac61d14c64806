import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const BUILT_CLIENT = fileURLToPath(new URL('../../../dist/client/index.js', import.meta.url));

/** Daemon-only code an agent importing `coordd/client` must never load. */
const DAEMON_ONLY =
  /(^|\/)(config|config-file|daemon|main)\.(ts|js)$|^(yaml|pino|prom-client|better-sqlite3|redis)$|\/(pool|coordination|routing|transport|stores|wiring|api)\//;

/** Every source file and package reachable from `entry` by static or dynamic imports. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^\s*(?:import|export)[^'"]*?from\s+|^\s*import\s+|import\(\s*)['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        seen.add(spec.split('/')[0]!);
        continue;
      }
      visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return new Set([...seen].map((f) => (f.startsWith(SRC) ? relative(SRC, f) : f)));
}

describe('client boundary (coordd/client loads no daemon-only code)', () => {
  it('the source import graph of src/client/index.ts reaches no config parser, yaml or domain code', () => {
    const graph = importGraph(join(SRC, 'client/index.ts'));
    expect(graph.has('client/client.ts'), 'the walk reached the client').to.equal(true);
    expect(graph.has('schemas/common.ts'), 'the walk reached the shared schemas').to.equal(true);
    expect([...graph].filter((f) => DAEMON_ONLY.test(f))).to.deep.equal([]);
  });

  it('importing the built client entry in a fresh process loads no config parser and no yaml', async function () {
    this.timeout(20_000);
    expect(existsSync(BUILT_CLIENT), `${BUILT_CLIENT} is missing: run npm run build`).to.equal(true);
    const dir = mkdtempSync(join(tmpdir(), 'coordd-client-boundary-'));
    try {
      const log = join(dir, 'loaded.txt');
      const hooks = join(dir, 'hooks.mjs');
      // Runs on the loader thread: records every module URL the process resolves.
      writeFileSync(
        hooks,
        `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`,
      );
      const script = `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const client = await import(${JSON.stringify(pathToFileURL(BUILT_CLIENT).href)});
if (typeof client.CoordClient !== 'function') throw new Error('no CoordClient');`;
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
      const loaded = readFileSync(log, 'utf8').trim().split('\n');
      expect(
        loaded.some((u) => u.endsWith('/dist/client/client.js')),
        'the hook saw the client load',
      ).to.equal(true);
      const distRoot = pathToFileURL(dirname(dirname(BUILT_CLIENT))).href + '/';
      const names = loaded.map((u) => (u.startsWith(distRoot) ? u.slice(distRoot.length) : (/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? u)));
      expect(names.filter((n) => DAEMON_ONLY.test(n))).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
