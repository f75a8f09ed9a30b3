/**
 * HTTPS/WSS: a given certificate, or a self-signed one generated once into the data directory.
 * WSS is what the official `openai` realtime client needs, and what a phone on the LAN needs to
 * use its microphone (browsers allow getUserMedia only on secure origins).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ConfigError } from '../core/errors.js';

export interface TlsFiles {
  key: string;
  cert: string;
}

/** Reads a PEM key and certificate. @throws ConfigError naming the unreadable file */
export function readTls(certPath: string, keyPath: string): TlsFiles {
  const read = (path: string, key: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(key, `Cannot read ${path}: ${(error as Error).message}`);
    }
  };
  return { cert: read(certPath, 'tlsCert'), key: read(keyPath, 'tlsKey') };
}

/**
 * Returns `<dataDir>/tls/{cert,key}.pem`, generating a self-signed certificate (valid 10 years,
 * for localhost, 127.0.0.1, ::1 and `extraNames`) on first use.
 */
export async function selfSignedTls(dataDir: string, extraNames: readonly string[] = []): Promise<TlsFiles & { certPath: string; generated: boolean }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) return { ...readTls(certPath, keyPath), certPath, generated: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 10);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: notAfter,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...extraNames.map((value) => ({ type: 2, value })),
        ],
      },
    ],
  } as Parameters<typeof generate>[1]);
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert, certPath, generated: true };
}
