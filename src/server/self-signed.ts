/**
 * A throw-away self-signed certificate for `dashscope-tts serve --tls`, made with the system's
 * `openssl` (present on the supported machines; Node has no certificate builder of its own).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a key and a self-signed certificate for localhost / 127.0.0.1, valid for 7 days.
 * @throws {Error} with code `ERR_OPENSSL_MISSING` when `openssl` cannot be run.
 */
export function createSelfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dashscope-tts-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          keyPath,
          '-out',
          certPath,
          '-days',
          '7',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        ],
        { stdio: 'ignore' },
      );
    } catch (error) {
      throw Object.assign(
        new Error(`--tls needs the openssl command to make a certificate: ${(error as Error).message}`),
        { code: 'ERR_OPENSSL_MISSING' },
      );
    }
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
