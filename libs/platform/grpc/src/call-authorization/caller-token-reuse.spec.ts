import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CallerIdentity } from '../caller-identity';
import { readTrustedCallerTokenKeys, TrustedCallerTokenKeys } from './caller-token-keys';
import { MAX_KEPT_CALLER_TOKEN_LENGTH, MAX_KEPT_CALLER_TOKENS } from './caller-token-claims';
import { CallerTokenMinter, PkiFolderSigningKey } from './caller-token-minter';
import { CallerTokenRejected, CallerTokenVerifier } from './caller-token-verifier';
import { writeTestCallerTokenKey } from './testing/test-caller-token-keys.test-support';

const bob: CallerIdentity = {
  userId: 'user-bob',
  username: 'bob',
  clientIp: '198.51.100.20',
  permissions: ['ProjectView'],
  requestId: 'req-a',
};

/** The claims of a compact JWS, read without checking anything. */
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('caller tokens reused for one caller and audience', () => {
  let pkiDir: string;

  beforeEach(() => {
    pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-caller-token-reuse-'));
    writeTestCallerTokenKey(pkiDir, 'kid-1');
  });

  afterEach(() => {
    jest.useRealTimers();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  it('sends the same token for the first third of its life, whatever the request id, then a new one', () => {
    const minter = CallerTokenMinter.fromPkiDir(pkiDir);
    const first = minter.mint(bob, 'orchestrator', 1_000);
    expect(claimsOf(first)).not.toHaveProperty('requestId');
    expect(minter.mint({ ...bob, requestId: 'req-b' }, 'orchestrator', 1_009)).toBe(first);
    const next = minter.mint(bob, 'orchestrator', 1_010);
    expect(next).not.toBe(first);
    expect(claimsOf(next)).toMatchObject({ iat: 1_010, exp: 1_040 });
    // A clock gone backwards never gets a token issued after it.
    expect(minter.mint(bob, 'orchestrator', 1_005)).not.toBe(next);
  });

  it('mints anew for another audience, other permissions, grants, origin or sign-in', () => {
    const minter = CallerTokenMinter.fromPkiDir(pkiDir);
    const first = minter.mint(bob, 'orchestrator', 1_000);
    const variants: CallerIdentity[] = [
      { ...bob, permissions: ['ProjectView', 'ProjectEdit'] },
      { ...bob, grants: [{ permissions: ['ProjectView'], projectIds: ['p-1'] }] },
      { ...bob, clientIp: '198.51.100.21' },
      { ...bob, forwardedFor: '198.51.100.20, 10.0.0.1' },
      { ...bob, signInMethod: 'api-key', apiKeyId: '4b1f0c9e-0000-4000-8000-000000000002' },
      { ...bob, username: 'bob2' },
      { ...bob, userId: 'user-bob2' },
    ];
    const tokens = new Set([first, minter.mint(bob, 'artifacts', 1_000)]);
    for (const variant of variants) tokens.add(minter.mint(variant, 'orchestrator', 1_000));
    expect(tokens.size).toBe(variants.length + 2);
  });

  it('mints with the new key as soon as the signing key is rotated', () => {
    let nowMs = 0;
    const minter = new CallerTokenMinter(new PkiFolderSigningKey(pkiDir, () => nowMs, 5_000));
    const first = minter.mint(bob, 'orchestrator', 1_000);
    writeTestCallerTokenKey(pkiDir, 'kid-2');
    nowMs = 6_000;
    const rotated = minter.mint(bob, 'orchestrator', 1_001);
    expect(rotated).not.toBe(first);
    expect(JSON.parse(Buffer.from(rotated.split('.')[0] ?? '', 'base64url').toString('utf8'))).toMatchObject({
      kid: 'kid-2',
    });
  });

  it('keeps at most MAX_KEPT_CALLER_TOKENS callers, and still answers every one', () => {
    const minter = CallerTokenMinter.fromPkiDir(pkiDir);
    const firstOfMany = minter.mint({ ...bob, userId: 'user-0' }, 'orchestrator', 1_000);
    for (let index = 1; index <= MAX_KEPT_CALLER_TOKENS; index += 1)
      minter.mint({ ...bob, userId: `user-${index}` }, 'orchestrator', 1_000);
    // The oldest went to make room: a new token, valid all the same.
    const again = minter.mint({ ...bob, userId: 'user-0' }, 'orchestrator', 1_000);
    expect(again).not.toBe(firstOfMany);
    expect(claimsOf(again)).toMatchObject({ sub: 'user-0' });
  });

  it('mints a large token (a wide team scope) for every call instead of keeping it', () => {
    const minter = CallerTokenMinter.fromPkiDir(pkiDir);
    const wide: CallerIdentity = {
      ...bob,
      grants: [
        {
          permissions: ['ProjectView'],
          projectIds: Array.from(
            { length: 200 },
            (_, index) => `0d6f3c7e-0000-4000-8000-${String(index).padStart(12, '0')}`,
          ),
        },
      ],
    };
    const first = minter.mint(wide, 'orchestrator', 1_000);
    expect(first.length).toBeGreaterThan(MAX_KEPT_CALLER_TOKEN_LENGTH);
    expect(minter.mint(wide, 'orchestrator', 1_000)).not.toBe(first);
  });

  describe('verified once, then known until it expires', () => {
    const reject = (verify: () => unknown): string => {
      try {
        verify();
      } catch (error) {
        expect(error).toBeInstanceOf(CallerTokenRejected);
        return (error as Error).message;
      }
      throw new Error('the token was accepted');
    };

    it('answers a known token again, and still refuses it at another audience', () => {
      const verifier = new CallerTokenVerifier(TrustedCallerTokenKeys.fromPkiDir(pkiDir));
      const token = CallerTokenMinter.fromPkiDir(pkiDir).mint(bob, 'orchestrator');
      const first = verifier.verify(token, ['orchestrator']);
      const again = verifier.verify(token, ['orchestrator', 'gateway']);
      expect(again).toEqual(first);
      expect(again).not.toBe(first); // each call gets its own object to add its request id to
      expect(reject(() => verifier.verify(token, ['audit']))).toMatch(/another service/);
    });

    it('refuses a known token once it has expired, past the clock skew', () => {
      jest.useFakeTimers({ now: 1_000_000_000 });
      const verifier = new CallerTokenVerifier(TrustedCallerTokenKeys.fromPkiDir(pkiDir));
      const token = CallerTokenMinter.fromPkiDir(pkiDir).mint(bob, 'orchestrator');
      expect(verifier.verify(token, ['orchestrator'])).toMatchObject({ userId: bob.userId });
      jest.setSystemTime(1_000_000_000 + 34_000); // exp + 4 s: within the 5 s of skew
      expect(verifier.verify(token, ['orchestrator'])).toMatchObject({ userId: bob.userId });
      jest.setSystemTime(1_000_000_000 + 36_000);
      expect(reject(() => verifier.verify(token, ['orchestrator']))).toMatch(/expired/);
    });

    it('refuses a known token once its key is no longer trusted', () => {
      let nowMs = 0;
      const keys = new TrustedCallerTokenKeys(
        () => readTrustedCallerTokenKeys(pkiDir),
        () => nowMs,
        2_000,
      );
      const verifier = new CallerTokenVerifier(keys);
      const token = CallerTokenMinter.fromPkiDir(pkiDir).mint(bob, 'orchestrator');
      verifier.verify(token, ['orchestrator']);
      // The folder loses kid-1 and gains kid-2; a token of kid-2 makes the verifier read it again.
      rmSync(join(pkiDir, 'caller-token', 'kid-1.pub'));
      writeTestCallerTokenKey(pkiDir, 'kid-2');
      nowMs = 5_000;
      verifier.verify(CallerTokenMinter.fromPkiDir(pkiDir).mint(bob, 'orchestrator'), ['orchestrator']);
      expect(reject(() => verifier.verify(token, ['orchestrator']))).toMatch(/unknown key/);
    });
  });
});
