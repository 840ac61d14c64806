/** Writes schemas/openrpc.json from the zod schemas (`npm run schemas`). A test fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openRpcDocument } from '../src/api/discover-api.js';

const target = fileURLToPath(new URL('../schemas/openrpc.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(openRpcDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
