// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';

import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

import * as x509 from '@peculiar/x509';

import { ensurePrivateFolder, KEY_MODE, PUBLIC_MODE, writeFileAtomically } from '@flotilla/platform/pki';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** Users' certificate in production: one PEM file holding the certificate (chain) and its key. */
export const PUBLIC_TLS_CERT_ENV = 'FLOTILLA_PUBLIC_TLS_CERT';
/** Extra names (DNS names or IP addresses, comma-separated) for the generated local certificate. */
export const PUBLIC_TLS_NAMES_ENV = 'FLOTILLA_PUBLIC_TLS_NAMES';

/** What the generated certificate always names: the loopback a local cluster serves on. */
export const LOCAL_PUBLIC_NAMES = ['localhost', '127.0.0.1', '::1'] as const;

const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const VALIDITY_DAYS = 365;
/** A kept certificate is made again when less than this is left. */
const RENEW_BEFORE_DAYS = 30;

export interface PublicTlsCertificate {
  /** The PEM HAProxy loads (`bind ... ssl crt`): certificate and private key. */
  bundlePath: string;
  /** The certificate (chain) alone, no key: what a client trusts for a self-signed one. */
  certificatePem: string;
  /** A file holding certificatePem (the configured bundle itself, else `certificate.pem`). */
  certificatePath: string;
  /** Made here, signed by its own key (not by the cluster CA, nor by any CA users trust). */
  selfSigned: boolean;
  /** Made by this call (else configured, or kept from an earlier start). */
  created: boolean;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

function certificatesIn(pem: string): string {
  return `${(pem.match(PEM_CERTIFICATE) ?? []).join('\n')}\n`;
}

/** Every name is covered by the certificate, and it is valid for RENEW_BEFORE_DAYS more. */
function stillFits(certificatePem: string, names: readonly string[], now: Date): boolean {
  const certificate = new X509Certificate(certificatePem);
  if (new Date(certificate.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  return names.every((name) =>
    isIP(name) ? certificate.checkIP(name) !== undefined : certificate.checkHost(name) !== undefined,
  );
}

/** A configured certificate: its file must hold a certificate and a key (HAProxy reads both). */
function configuredCertificate(path: string): PublicTlsCertificate {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${PUBLIC_TLS_CERT_ENV}=${path}: ${(error as Error).message}`);
  }
  const certificatePem = certificatesIn(pem);
  if (certificatePem.trim() === '' || !PEM_PRIVATE_KEY.test(pem))
    throw new Error(
      `${PUBLIC_TLS_CERT_ENV}=${path} must be one PEM file with the certificate (chain) and its private key`,
    );
  return { bundlePath: path, certificatePem, certificatePath: path, selfSigned: false, created: false };
}

async function selfSignedCertificate(
  names: readonly string[],
  now: Date,
): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
  const serial = randomBytes(16);
  serial[0] = serial[0] & 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=Flotilla local cluster (self-signed), O=Flotilla',
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_ALGORITHM,
    keys,
    extensions: [
      // An end-entity certificate, good for serving TLS and nothing else (it signs no other).
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    cert: `${certificate.toString('pem')}\n`,
    key: `${x509.PemConverter.encode(keyDer, 'PRIVATE KEY')}\n`,
  };
}

/**
 * Users' certificate for HAProxy: the configured one (FLOTILLA_PUBLIC_TLS_CERT), or else a
 * self-signed ECDSA P-256 certificate for localhost, 127.0.0.1, ::1 and `extraNames`, made in
 * `folder` at the first start and kept while it fits (`haproxy.pem`: certificate and key, 0600;
 * `certificate.pem`: the certificate alone, for clients to trust). Deliberately not signed by the
 * cluster CA: a user who trusted that CA would trust every service identity it issues.
 */
export async function ensurePublicTlsCertificate(
  folder: string,
  env: NodeJS.ProcessEnv,
  now = new Date(),
): Promise<PublicTlsCertificate> {
  const configured = env[PUBLIC_TLS_CERT_ENV];
  if (configured) return configuredCertificate(configured);
  const extraNames = (env[PUBLIC_TLS_NAMES_ENV] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const names = [...new Set([...LOCAL_PUBLIC_NAMES, ...extraNames])];
  const bundlePath = join(folder, 'haproxy.pem');
  const certificatePath = join(folder, 'certificate.pem');
  if (existsSync(bundlePath) && existsSync(certificatePath)) {
    const certificatePem = readFileSync(certificatePath, 'utf8');
    if (stillFits(certificatePem, names, now))
      return { bundlePath, certificatePem, certificatePath, selfSigned: true, created: false };
  }
  ensurePrivateFolder(folder);
  const made = await selfSignedCertificate(names, now);
  writeFileAtomically(bundlePath, `${made.cert}${made.key}`, KEY_MODE);
  writeFileAtomically(certificatePath, made.cert, PUBLIC_MODE);
  return { bundlePath, certificatePem: made.cert, certificatePath, selfSigned: true, created: true };
}
