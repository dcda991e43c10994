/**
 * A throw-away self-signed certificate for localhost / 127.0.0.1, made at run time for
 * `dashscope-tts serve --tls`, tests and benchmarks. Uses `openssl` when it is on the PATH, else
 * builds the X.509 DER by hand with node:crypto (ECDSA P-256), so nothing outside Node is needed.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  key: string;
  cert: string;
  /** `openssl` or `node:crypto`. */
  madeWith: string;
}

export interface SelfSignedCertificateOptions {
  /** Use `openssl` when it can be run (default true); false always uses node:crypto. */
  preferOpenssl?: boolean;
  /** Days of validity. Default 7. */
  days?: number;
}

/** Makes a key and a self-signed certificate for `localhost` and `127.0.0.1`. */
export function createSelfSignedCertificate(
  options: SelfSignedCertificateOptions = {},
): SelfSignedCertificate {
  const days = options.days ?? 7;
  if (options.preferOpenssl ?? true) {
    const viaOpenssl = tryOpenssl(days);
    if (viaOpenssl) return viaOpenssl;
  }
  return withNodeCrypto(days);
}

function tryOpenssl(days: number): SelfSignedCertificate | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'dashscope-tts-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        String(days),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    const cert = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      madeWith: 'openssl',
    };
    new X509Certificate(cert.cert);
    return cert;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ----- minimal DER ------------------------------------------------------------------------------

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const int = (bytes: Buffer): Buffer =>
  der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer): Buffer => der(0x04, b);
const bits = (b: Buffer): Buffer => der(0x03, Buffer.concat([Buffer.from([0]), b]));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift(0x80 | (v & 0x7f));
    out.push(...stack);
  }
  return der(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const s = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(s, 'ascii'));
}

function withNodeCrypto(days: number): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8('localhost'))));
  const now = Date.now();
  const validity = seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + days * 24 * 3600_000)));
  const serial = randomBytes(8);
  serial[0]! &= 0x7f;
  const san = seq(
    der(0x82, Buffer.from('localhost', 'ascii')), // dNSName [2]
    der(0x87, Buffer.from([127, 0, 0, 1])), // iPAddress [7]
  );
  const extensions = explicit(3, seq(seq(oid('2.5.29.17'), octets(san))));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(serial),
    ecdsaWithSha256,
    name,
    validity,
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certDer = seq(tbs, ecdsaWithSha256, bits(signature));
  const b64 = certDer.toString('base64').replace(/(.{64})/g, '$1\n');
  const cert = `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey)) throw new Error('self-made certificate does not verify');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert,
    madeWith: 'node:crypto',
  };
}
