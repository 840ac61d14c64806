import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Every module the built file loads, transitively: relative files by path, packages by name. */
function loadedBy(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1] ?? m[2] ?? m[3]!);
    for (const spec of specs) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else
        packages.add(
          spec.startsWith('node:')
            ? spec
            : spec
                .split('/')
                .slice(0, spec.startsWith('@') ? 2 : 1)
                .join('/'),
        );
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the client library (coordd/client) loads no daemon-only code', () => {
  const entry = resolve(DIST, 'client/index.js');

  it('its built modules stay inside client/, schemas/ and jsonrpc/ (the shared pending-request table), never config, yaml or the daemon', function () {
    if (!existsSync(entry)) this.skip(); // npm test builds dist/ first
    const { files, packages } = loadedBy(entry);
    const outside = [...files].map((f) => relative(DIST, f)).filter((f) => !/^(client|schemas|jsonrpc)\//.test(f));
    expect(outside, 'modules outside client/, schemas/ and jsonrpc/').to.deep.equal([]);
    const allowed = new Set(['ws', 'zod', 'json-rpc-2.0']);
    expect(
      [...packages].filter((p) => !p.startsWith('node:') && !allowed.has(p)),
      'packages besides ws, zod, json-rpc-2.0',
    ).to.deep.equal([]);
  });

  it('a schema that imported config.ts again would be caught (the walker follows re-exports)', function () {
    if (!existsSync(entry)) this.skip();
    const { files } = loadedBy(resolve(DIST, 'config.js'));
    expect([...files].map((f) => relative(DIST, f))).to.include('config-file.js');
  });
});
