import 'reflect-metadata';

import { randomBytes, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

import { spiffeUri } from '../../peer-identity';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/**
 * Certificates and caller-token keys for specs of the call authorization, made in the test (not
 * the product's PKI code under libs/platform/pki, which has specs of its own): a CA, leaves with
 * the SPIFFE URI SAN a cluster certificate carries, (caller-token keys: test-caller-token-keys).
 */
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 3_600_000;

export interface TestCa {
  certificatePem: string;
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface TestLeaf {
  certificatePem: string;
  privateKeyPem: string;
}

const serial = () => `01${randomBytes(8).toString('hex')}`;

async function keyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
}

export async function createTestCa(name = 'Test CA'): Promise<TestCa> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + 24 * HOUR_MS),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), certificate, privateKey: keys.privateKey };
}

/** A leaf for `identity` on `node`, serverAuth + clientAuth, valid for `<identity>.flotilla.internal`. */
export async function issueTestLeaf(ca: TestCa, identity: string, node = 'node-1'): Promise<TestLeaf> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${identity}.${node}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + 24 * HOUR_MS),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: `${identity}.flotilla.internal` },
        { type: 'url', value: spiffeUri(identity, node) },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: `${certificate.toString('pem')}\n${ca.certificatePem}\n`,
    privateKeyPem: x509.PemConverter.encode(der, 'PRIVATE KEY'),
  };
}
