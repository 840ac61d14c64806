import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

let warned = false;

/**
 * A fresh self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI (Node
 * cannot issue certificates itself). Undefined when openssl is missing: the caller skips, after one
 * message; under CI=true that is a failure instead.
 */
export function makeTestCertificate(): TestCertificate | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'coordd-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr;
    if (process.env.CI === 'true') throw new Error(`openssl cannot make a test certificate: ${why}`);
    if (!warned) console.warn(`skipping TLS tests: openssl cannot make a test certificate (${why.trim()})`);
    warned = true;
    return undefined;
  }
  return { dir, certFile, keyFile, cert: readFileSync(certFile) };
}
