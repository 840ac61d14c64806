// Copies the dashboard (ui/) and the libraries it imports (from node_modules) into dist/ui/.
// No bundler: the page loads these ES modules through its import map.
import { chmodSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
const pkgDir = (name) => join(root, 'node_modules', name);

/** vendor file name -> file inside an installed package */
const VENDOR = {
  'preact.mjs': ['preact', 'dist/preact.mjs'],
  'hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  'htm.mjs': ['htm', 'dist/htm.mjs'],
  'uPlot.esm.js': ['uplot', 'dist/uPlot.esm.js'],
  'uPlot.min.css': ['uplot', 'dist/uPlot.min.css'],
};

rmSync(out, { recursive: true, force: true });
cpSync(join(root, 'ui'), out, { recursive: true });
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const [name, [pkg, file]] of Object.entries(VENDOR)) cpSync(join(pkgDir(pkg), file), join(out, 'vendor', name));
for (const pkg of ['preact', 'htm', 'uplot']) cpSync(join(pkgDir(pkg), 'LICENSE'), join(out, 'vendor', `${pkg}.LICENSE.txt`));

// The last build step: tsc writes dist/bin/coordd.js without the execute bit, and `npx coordd` in a
// checkout (no npm install to set it) then fails with "Permission denied".
chmodSync(join(root, 'dist', 'bin', 'coordd.js'), 0o755);
