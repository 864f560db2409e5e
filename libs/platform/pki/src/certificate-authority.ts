import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

import { x509 } from './x509';

/** ECDSA P-256 with SHA-256: small keys, fast handshakes, supported by grpc-js, OpenSSL and HAProxy. */
const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const SPIFFE_TRUST_DOMAIN = 'flotilla.internal';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A CA lives long; it is replaced by a planned rotation (`npm run pki -- rotate-ca`), not by expiry. */
export const CA_VALIDITY_DAYS = 10 * 365;
/** Leaves are reissued at start-up when fewer than LEAF_RENEW_BEFORE_DAYS remain. */
export const LEAF_VALIDITY_DAYS = 2 * 365;
/** Clocks of a cluster differ a little; a certificate made now must already be valid on them. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface CertificateAuthority {
  id: string;
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface IssuedCertificate {
  /** The leaf followed by the CA that signed it (PEM). */
  certificatePem: string;
  /** PKCS8 PEM. */
  privateKeyPem: string;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f; // positive, as RFC 5280 wants
  return bytes.toString('hex');
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * A sortable id, `<generation>-<UTC time>`: the CA with the highest id signs. The generation
 * counts up from the newest existing CA, so two CAs made within one second still sort right.
 */
export function newCaId(previousIds: readonly string[] = [], now = new Date()): string {
  const generations = previousIds
    .map((id) => Number.parseInt(id.split('-')[0] ?? '', 10))
    .filter(Number.isFinite);
  const generation = Math.max(0, ...generations) + 1;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${String(generation).padStart(4, '0')}-${stamp}`;
}

/** A new self-signed CA, allowed to sign leaves only (path length 0). */
export async function createCertificateAuthority(
  id: string,
  now = new Date(),
): Promise<CertificateAuthority & { privateKeyPem: string }> {
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=Flotilla cluster CA ${id}, O=Flotilla`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    id,
    certificate,
    privateKey: keys.privateKey,
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}

/** Loads a CA from its PEM files' contents (the key as written by createCertificateAuthority). */
export async function loadCertificateAuthority(
  id: string,
  certificatePem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, false, ['sign']);
  return { id, certificate, privateKey };
}

export function spiffeUriOf(identity: string, node: string): string {
  return `spiffe://${SPIFFE_TRUST_DOMAIN}/${identity}/${node}`;
}

export function dnsNameOf(identity: string): string {
  return `${identity}.${SPIFFE_TRUST_DOMAIN}`;
}

/**
 * A leaf for `identity` on `node`: one URI SAN naming both (what servers read as the caller's
 * identity, libs/platform/grpc/src/peer-identity.ts) and one DNS SAN naming the identity alone
 * (what clients check, so any replica behind HAProxy passes). Usable as server and as client.
 */
export async function issueLeafCertificate(
  ca: CertificateAuthority,
  identity: string,
  node: string,
  now = new Date(),
): Promise<IssuedCertificate> {
  const keys = await generateKeyPair();
  const caNotAfter = ca.certificate.notAfter.getTime();
  const notAfter = Math.min(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS, caNotAfter);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${dnsNameOf(identity)}, OU=${node}, O=Flotilla`,
    issuer: ca.certificate.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC_ALGORITHM,
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
        { type: 'dns', value: dnsNameOf(identity) },
        { type: 'url', value: spiffeUriOf(identity, node) },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: `${leaf.toString('pem')}\n${ca.certificate.toString('pem')}\n`,
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}
