import { generateKeyPairSync } from 'node:crypto';

/**
 * TEST ONLY: a fresh Ed25519 key pair made at test time, so no private key is ever committed.
 * Production code verifies against TRUSTED_LICENCE_PUBLIC_KEY_PEM; tests pass `publicKeyPem`.
 */
export function generateTestLicenceKeys(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
