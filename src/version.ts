import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { version: string };

/** The package version, read from package.json (works from src/ and dist/ alike). */
export const VERSION: string = pkg.version;
