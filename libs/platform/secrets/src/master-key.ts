import { createHash, randomBytes } from 'node:crypto';

import { MasterKeyError } from './master-key-error';

/** AES-256: 32 bytes. */
export const MASTER_KEY_BYTES = 32;

/** One AES-256 master key and the id its envelopes carry. */
export interface MasterKey {
  /**
   * 16 hex characters of a domain-separated SHA-256 of the key: tells which key sealed a value
   * (rotation, a wrong key at start-up) without revealing anything usable about the key.
   */
  readonly id: string;
  readonly bytes: Buffer;
}

export function masterKeyId(bytes: Buffer): string {
  return createHash('sha256').update('flotilla master key id\0').update(bytes).digest('hex').slice(0, 16);
}

export function masterKeyOf(bytes: Buffer): MasterKey {
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyError(`a master key is ${MASTER_KEY_BYTES} bytes; this one has ${bytes.length}`);
  }
  return { id: masterKeyId(bytes), bytes };
}

export function generateMasterKey(): MasterKey {
  return masterKeyOf(randomBytes(MASTER_KEY_BYTES));
}

/** base64 (standard or url-safe) of exactly 32 bytes; `source` names where it came from in errors. */
export function parseMasterKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new MasterKeyError(
      `${source} is not base64 of ${MASTER_KEY_BYTES} bytes (make one with: openssl rand -base64 32)`,
    );
  }
  const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyError(
      `${source} holds ${bytes.length} bytes; a master key is base64 of ${MASTER_KEY_BYTES} bytes (openssl rand -base64 32)`,
    );
  }
  return masterKeyOf(bytes);
}

export function formatMasterKey(key: MasterKey): string {
  return key.bytes.toString('base64');
}
