import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Write `files` (name → text) into a fresh temporary directory; the path of each, by name. */
export function tempFiles<K extends string>(files: Record<K, string>): Record<K, string> {
  const dir = mkdtempSync(join(tmpdir(), 'coordd-test-'));
  const paths = {} as Record<K, string>;
  for (const name of Object.keys(files) as K[]) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], files[name]);
  }
  return paths;
}

/** A tokens file's text (JSON form) granting each token its role. */
export function tokensJson(roles: Record<string, string>): string {
  return JSON.stringify({ tokens: Object.entries(roles).map(([token, role]) => ({ token, role })) });
}
