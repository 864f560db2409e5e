import { createHash, randomBytes } from 'node:crypto';

/** Octopus-style API keys start with this, which is how a bearer token is told apart from a session. */
export const API_KEY_PREFIX = 'API-';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: upper case letters and digits only, easy to paste. */
export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return output;
}

/** A session token: 32 random bytes, base64url. Never stored; only its hash is. */
export function newSessionToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    // base64url can start with "API-"; such a token would be mistaken for an API key.
    if (!token.startsWith(API_KEY_PREFIX)) return token;
  }
}

/** An API key secret: `API-` and 160 random bits as 32 base32 characters. */
export function newApiKeySecret(): string {
  return `${API_KEY_PREFIX}${base32(randomBytes(20))}`;
}

export function isApiKeySecret(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/**
 * SHA-256 hex of a token. The tokens carry 160+ random bits, so a fast hash is enough (no KDF):
 * the point is that a database dump yields no usable credential.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
