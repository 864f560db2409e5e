import { base32, hashSecret, isApiKeySecret, newApiKeySecret, newSessionToken } from './secret-tokens';

describe('secret tokens', () => {
  it('encodes base32 per RFC 4648 test vectors', () => {
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32(Buffer.from('f'))).toBe('MY');
    expect(base32(Buffer.alloc(0))).toBe('');
  });

  it('makes API keys with the API- prefix and 32 base32 characters', () => {
    const secret = newApiKeySecret();
    expect(secret).toMatch(/^API-[A-Z2-7]{32}$/);
    expect(isApiKeySecret(secret)).toBe(true);
  });

  it('makes session tokens of 32 random bytes that are never taken for API keys', () => {
    const tokens = Array.from({ length: 50 }, () => newSessionToken());
    for (const token of tokens) {
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(isApiKeySecret(token)).toBe(false);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('hashes with SHA-256 hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
