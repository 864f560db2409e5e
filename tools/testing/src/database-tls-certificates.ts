// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';

import { randomBytes, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/**
 * RSA, not ECDSA: the Babelfish TDS endpoint and PostgreSQL both take either, but RSA keeps the
 * test independent of which curves a server build enables.
 */
const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

const HOUR_MS = 60 * 60 * 1000;

/** The names the test database server's certificate carries. */
export const DATABASE_TEST_SERVER_NAMES = {
  dns: ['db.flotilla.test', 'localhost'],
  ip: '127.0.0.1',
} as const;

export interface DatabaseTestCa {
  /** PEM of the CA certificate (what FLOTILLA_DB_TLS_CA_FILE holds). */
  certificatePem: string;
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface DatabaseTestServerCertificate {
  certificatePem: string;
  /** PKCS8 PEM. */
  privateKeyPem: string;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f;
  return bytes.toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + 24 * HOUR_MS) };
}

/** A throwaway CA for one test run's database server. */
export async function createDatabaseTestCa(name: string): Promise<DatabaseTestCa> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}, O=Flotilla tests`,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), certificate, privateKey: keys.privateKey };
}

/** A server certificate signed by `ca`, naming DATABASE_TEST_SERVER_NAMES. */
export async function issueDatabaseServerCertificate(
  ca: DatabaseTestCa,
): Promise<DatabaseTestServerCertificate> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${DATABASE_TEST_SERVER_NAMES.dns[0]}, O=Flotilla tests`,
    issuer: ca.certificate.subject,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...DATABASE_TEST_SERVER_NAMES.dns.map((value) => ({ type: 'dns' as const, value })),
        { type: 'ip', value: DATABASE_TEST_SERVER_NAMES.ip },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: leaf.toString('pem'),
    privateKeyPem: x509.PemConverter.encode(der, 'PRIVATE KEY'),
  };
}
