import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  csp: string;
}

/**
 * Where the built dashboard lives: dist/ui next to the compiled server (the package), or
 * dist/ui from the source tree when the daemon runs under tsx.
 */
export function defaultUiDir(): string | undefined {
  const candidates = [new URL('../ui/', import.meta.url), new URL('../../dist/ui/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/**
 * Serves the dashboard's files under a URL prefix. Every file is read once into a table keyed
 * by its relative path, so a request can only ever name a file that is in the table: there is
 * no path joining on request input, and `..`, encoded separators or NUL bytes simply miss.
 */
export class StaticFiles {
  private files: Map<string, StaticFile> | undefined;

  constructor(
    private readonly root: string | undefined,
    private readonly prefix = '/ui/',
  ) {}

  /** Whether `path` (no query) is this handler's: the prefix, or the prefix without its slash. */
  handles(path: string): boolean {
    return path === this.prefix.slice(0, -1) || path.startsWith(this.prefix);
  }

  /** Answer a GET/HEAD for a path under the prefix. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path === this.prefix.slice(0, -1)) {
      res.writeHead(301, { location: this.prefix, 'content-type': 'text/plain' }).end('moved\n');
      return;
    }
    const files = this.load();
    if (files.size === 0) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('dashboard not built (npm run build)\n');
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice(this.prefix.length));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path\n');
      return;
    }
    const file = files.get(name === '' ? 'index.html' : name);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers = {
      'content-type': file.contentType,
      'cache-control': 'no-cache',
      etag: file.etag,
      'content-security-policy': file.csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private load(): Map<string, StaticFile> {
    if (this.files) return this.files;
    const files = new Map<string, StaticFile>();
    if (this.root !== undefined && existsSync(this.root)) {
      for (const abs of walk(this.root)) {
        const type = CONTENT_TYPES[extname(abs)];
        if (!type) continue;
        const body = readFileSync(abs);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        const csp = contentSecurityPolicy(type.startsWith('text/html') ? inlineScriptHashes(body.toString('utf8')) : []);
        files.set(relative(this.root, abs).split(sep).join('/'), { body, contentType: type, etag, csp });
      }
    }
    this.files = files;
    return files;
  }
}

/** Only this origin, for everything; the one inline script (the import map) is allowed by its hash. */
export function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  const scripts = ["'self'", ...scriptHashes.map((h) => `'sha256-${h}'`)].join(' ');
  return [
    "default-src 'none'",
    `script-src ${scripts}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** SHA-256 (base64) of every inline <script> body in a page, as CSP wants them. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    out.push(createHash('sha256').update(m[1]!).digest('base64'));
  }
  return out;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const abs = join(dir, entry);
    if (statSync(abs).isDirectory()) yield* walk(abs);
    else yield abs;
  }
}
