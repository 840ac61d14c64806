import { expect } from 'chai';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { contentSecurityPolicy, inlineScriptHashes, StaticFiles } from '../../../src/transport/static-files.js';

async function serve(files: StaticFiles): Promise<{ base: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (files.handles(path)) files.serve(req, res, path);
    else res.writeHead(418).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** GET with the path exactly as written (fetch would resolve dot segments first). */
function raw(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    get({ hostname, port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

describe('transport/static-files', () => {
  const root = mkdtempSync(join(tmpdir(), 'coordd-static-'));
  const outside = join(root, '..', `secret-${process.pid}.txt`);
  const page = '<html><script type="importmap">{"imports":{}}</script><script src="a.js"></script></html>';
  mkdirSync(join(root, 'ui', 'js'), { recursive: true });
  writeFileSync(join(root, 'ui', 'index.html'), page);
  writeFileSync(join(root, 'ui', 'js', 'a b.js'), 'export {};');
  writeFileSync(join(root, 'ui', '.hidden.js'), 'secret');
  writeFileSync(join(root, 'ui', 'notes.txt'), 'no known type');
  writeFileSync(join(root, 'package.json'), '{"name":"x"}');
  writeFileSync(outside, 'secret');
  let base: string;
  let server: Server;

  before(async () => ({ base, server } = await serve(new StaticFiles(join(root, 'ui')))));
  after(() => server.close());

  it('serves index.html for the prefix with a CSP allowing only self and the import map by hash', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal(page);
    const hash = createHash('sha256').update('{"imports":{}}').digest('base64');
    expect(res.headers.get('content-security-policy')).to.equal(contentSecurityPolicy([hash]));
    expect(res.headers.get('cache-control')).to.equal('no-cache');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('decodes names, answers HEAD without a body and 304 to a matching ETag', async () => {
    const res = await fetch(`${base}/ui/js/a%20b.js`);
    expect([res.status, res.headers.get('content-type')]).to.deep.equal([200, 'text/javascript; charset=utf-8']);
    expect(res.headers.get('content-security-policy')).to.equal(contentSecurityPolicy([]));
    const head = await fetch(`${base}/ui/js/a%20b.js`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).to.deep.equal([200, '10', '']);
    expect((await fetch(`${base}/ui/js/a%20b.js`, { headers: { 'if-none-match': res.headers.get('etag')! } })).status).to.equal(304);
  });

  it('never serves a file outside the folder, a dotfile or an unknown type', async () => {
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/js/../../package.json',
      `/ui/..%2f..%2fsecret-${process.pid}.txt`,
      '/ui/.hidden.js',
      '/ui/notes.txt',
      '/ui/js',
      '/ui/%00',
      '/ui//etc/passwd',
    ]) {
      const res = await raw(base, path);
      expect([res.status, res.body], path).to.deep.equal([404, 'not found\n']);
    }
    expect((await raw(base, '/ui/%E0%A4%A')).status).to.equal(400);
  });

  it('redirects the bare prefix, and says so when the dashboard was not built', async () => {
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).to.deep.equal([301, '/ui/']);
    const empty = await serve(new StaticFiles(join(root, 'missing')));
    const res = await fetch(`${empty.base}/ui/`);
    expect([res.status, await res.text()]).to.deep.equal([404, 'dashboard not built (npm run build)\n']);
    empty.server.close();
    const none = await serve(new StaticFiles(undefined));
    expect((await fetch(`${none.base}/ui/index.html`)).status).to.equal(404);
    none.server.close();
  });

  it('hashes every inline script and none with a src', () => {
    expect(inlineScriptHashes('<script>a</script><script type="module" src="x.js"></script><SCRIPT type="importmap">b</SCRIPT>')).to.deep.equal(
      ['a', 'b'].map((s) => createHash('sha256').update(s).digest('base64')),
    );
  });
});
