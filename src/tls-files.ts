import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.js';

/** The certificate chain and key the daemon serves TLS with, checked before it listens. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

function read(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Read and check COORDD_TLS_CERT and COORDD_TLS_KEY: a PEM certificate (chain), an unencrypted
 * PEM private key, and the two belonging together. Any problem is a ConfigError naming the variable.
 */
export function loadTlsFiles(files: { certFile: string; keyFile: string }): TlsMaterial {
  const cert = read('COORDD_TLS_CERT', files.certFile);
  const key = read('COORDD_TLS_KEY', files.keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`COORDD_TLS_CERT: ${files.certFile} holds no PEM certificate`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch {
    throw new ConfigError(`COORDD_TLS_KEY: ${files.keyFile} holds no unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(keyObject)) throw new ConfigError(`COORDD_TLS_KEY: ${files.keyFile} is not the key of the certificate in COORDD_TLS_CERT`);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(`COORDD_TLS_CERT: cannot use ${files.certFile} with its key: ${(err as Error).message}`);
  }
  return { cert, key };
}
