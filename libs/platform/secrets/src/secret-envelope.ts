import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import type { MasterKey } from './master-key';

/**
 * A sealed value, self-describing so a reader (and a key rotation) knows how and with which key it
 * was sealed: `enc:v1:<key id>:<nonce>:<ciphertext + GCM tag>`, the last two base64url.
 * v1 = AES-256-GCM, 96-bit random nonce per value, 128-bit tag, the caller's associated data
 * authenticated (not stored): a value moved to another row or variable no longer opens.
 */
export const ENVELOPE_PREFIX = 'enc:v1:';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface ParsedEnvelope {
  keyId: string;
  nonce: Buffer;
  sealed: Buffer;
}

export function isSealedValue(value: string): boolean {
  return value.startsWith(ENVELOPE_PREFIX);
}

export function parseEnvelope(envelope: string): ParsedEnvelope | undefined {
  if (!isSealedValue(envelope)) return undefined;
  const [keyId, nonce, sealed, ...rest] = envelope.slice(ENVELOPE_PREFIX.length).split(':');
  if (!keyId || nonce === undefined || sealed === undefined || rest.length > 0) return undefined;
  const nonceBytes = Buffer.from(nonce, 'base64url');
  const sealedBytes = Buffer.from(sealed, 'base64url');
  if (nonceBytes.length !== NONCE_BYTES || sealedBytes.length < TAG_BYTES) return undefined;
  return { keyId, nonce: nonceBytes, sealed: sealedBytes };
}

export function sealWithKey(key: MasterKey, plaintext: string, associatedData: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${ENVELOPE_PREFIX}${key.id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
}

/** Throws when the tag does not verify (wrong key, tampered value, or other associated data). */
export function openWithKey(key: MasterKey, envelope: ParsedEnvelope, associatedData: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, envelope.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(envelope.sealed.subarray(envelope.sealed.length - TAG_BYTES));
  const body = envelope.sealed.subarray(0, envelope.sealed.length - TAG_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
