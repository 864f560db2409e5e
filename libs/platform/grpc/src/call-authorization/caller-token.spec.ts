import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';

import type { CallerIdentity } from '../caller-identity';
import { MAX_CALLER_TOKEN_LIFETIME_S } from './caller-token-claims';
import {
  readCallerTokenSigningKey,
  readTrustedCallerTokenKeys,
  TrustedCallerTokenKeys,
} from './caller-token-keys';
import { CallerTokenMinter, PkiFolderSigningKey } from './caller-token-minter';
import { CallerTokenRejected, CallerTokenVerifier } from './caller-token-verifier';
import { writeTestCallerTokenKey } from './testing/test-caller-token-keys.test-support';

const alice: CallerIdentity = {
  userId: 'user-alice',
  username: 'Alice Ødegaard',
  clientIp: '203.0.113.7',
  forwardedFor: '203.0.113.7, 10.0.0.2',
  permissions: ['ProjectView', 'AdministerSystem'],
  requestId: 'req-1',
};

describe('caller tokens', () => {
  let pkiDir: string;
  let minter: CallerTokenMinter;
  let verifier: CallerTokenVerifier;

  beforeEach(() => {
    pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-caller-token-'));
    writeTestCallerTokenKey(pkiDir, 'kid-1');
    minter = CallerTokenMinter.fromPkiDir(pkiDir);
    verifier = new CallerTokenVerifier(TrustedCallerTokenKeys.fromPkiDir(pkiDir));
  });

  afterEach(() => rmSync(pkiDir, { recursive: true, force: true }));

  const rejection = async (promise: Promise<unknown>): Promise<string> => {
    const error: unknown = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CallerTokenRejected);
    return (error as Error).message;
  };

  it('carries the user, permissions, origin and request id to the audience, with the token itself', async () => {
    const token = await minter.mint(alice, 'orchestrator');
    await expect(verifier.verify(token, ['orchestrator'])).resolves.toEqual({ ...alice, callerToken: token });
  });

  it('refuses a token for another service', async () => {
    const token = await minter.mint(alice, 'auth');
    expect(await rejection(verifier.verify(token, ['orchestrator']))).toMatch(/another service/);
  });

  it('refuses an expired token, allowing a few seconds of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await minter.mint(alice, 'audit', now - 40);
    await expect(verifier.verify(token, ['audit'], now - 12)).resolves.toMatchObject({
      userId: alice.userId,
    });
    expect(await rejection(verifier.verify(token, ['audit'], now))).toMatch(/expired/);
  });

  it('refuses a token signed by a key not in the folder, even one claiming a trusted kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await new CallerTokenMinter({ kid: 'kid-1', privateKey }).mint(alice, 'auth');
    expect(await rejection(verifier.verify(forged, ['auth']))).toMatch(/signature is not valid/);
    const unknown = await new CallerTokenMinter({ kid: 'kid-made-up', privateKey }).mint(alice, 'auth');
    expect(await rejection(verifier.verify(unknown, ['auth']))).toMatch(/unknown key \(kid kid-made-up\)/);
  });

  it('refuses a token whose claims were changed after signing', async () => {
    const token = await minter.mint({ ...alice, permissions: ['ProjectView'] }, 'auth');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, permissions: ['AdministerSystem'] })).toString(
      'base64url',
    );
    expect(await rejection(verifier.verify(`${header}.${raised}.${signature}`, ['auth']))).toMatch(
      /signature/,
    );
  });

  it('refuses unsigned and symmetric tokens, and tokens claiming to live longer than 60 s', async () => {
    const claims = { username: 'x', permissions: [], clientIp: '' };
    const now = Math.floor(Date.now() / 1000);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'kid-1', typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject('u')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(new TextEncoder().encode('a shared secret an attacker chose'));
    expect(await rejection(verifier.verify(hmac, ['auth']))).toMatch(/EdDSA/);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"flotilla-caller+jwt"}').toString('base64url')}.${hmac.split('.')[1]}.`;
    expect(await rejection(verifier.verify(unsigned, ['auth']))).toMatch(/EdDSA|malformed/);
    const signing = readCallerTokenSigningKey(pkiDir);
    const longLived = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject('u')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + MAX_CALLER_TOKEN_LIFETIME_S + 3600)
      .sign(signing.privateKey);
    expect(await rejection(verifier.verify(longLived, ['auth']))).toMatch(/at most 60 s/);
  });

  it('refuses a token that names a process instead of a user', async () => {
    const signing = readCallerTokenSigningKey(pkiDir);
    const now = Math.floor(Date.now() / 1000);
    const system = await new SignJWT({ username: 'system:executor', permissions: [], clientIp: '' })
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject('system:executor')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(signing.privateKey);
    expect(await rejection(verifier.verify(system, ['auth']))).toMatch(/names no user/);
  });

  it('never mints a lifetime over 60 s, nor a token for no user', async () => {
    const key = readCallerTokenSigningKey(pkiDir);
    expect(() => new CallerTokenMinter(key, 61)).toThrow(/1 to 60 s/);
    await expect(minter.mint({ ...alice, userId: '' }, 'auth')).rejects.toThrow(/names none/);
  });

  it('trusts a key rotated in after start at its first token, and stops trusting a removed one', async () => {
    let now = 0;
    const keys = new TrustedCallerTokenKeys(
      () => readTrustedCallerTokenKeys(pkiDir),
      () => now,
      2_000,
    );
    const rotatingVerifier = new CallerTokenVerifier(keys);
    await rotatingVerifier.verify(await minter.mint(alice, 'auth'), ['auth']);
    writeTestCallerTokenKey(pkiDir, 'kid-2');
    now = 5_000;
    const rotated = await CallerTokenMinter.fromPkiDir(pkiDir).mint(alice, 'auth');
    await expect(rotatingVerifier.verify(rotated, ['auth'])).resolves.toMatchObject({ userId: alice.userId });
    rmSync(join(pkiDir, 'caller-token', 'kid-1.pub'));
    now = 10_000;
    const { privateKey } = generateKeyPairSync('ed25519');
    // An unknown kid makes the folder be read again: kid-1 is gone from it now.
    await rejection(
      rotatingVerifier.verify(await new CallerTokenMinter({ kid: 'kid-x', privateKey }).mint(alice, 'auth'), [
        'auth',
      ]),
    );
    expect(await rejection(rotatingVerifier.verify(await minter.mint(alice, 'auth'), ['auth']))).toMatch(
      /unknown key/,
    );
  });

  it('signs with a rotated key within the refresh interval, and keeps the old one through a half-done rotation', async () => {
    let now = 0;
    const rotating = new CallerTokenMinter(new PkiFolderSigningKey(pkiDir, () => now, 5_000));
    expect(rotating.kid).toBe('kid-1');
    writeTestCallerTokenKey(pkiDir, 'kid-2');
    now = 1_000;
    expect(rotating.kid).toBe('kid-1');
    now = 6_000;
    expect(rotating.kid).toBe('kid-2');
    await expect(verifier.verify(await rotating.mint(alice, 'auth'), ['auth'])).resolves.toMatchObject({
      userId: alice.userId,
    });
    writeFileSync(join(pkiDir, 'caller-token', 'current'), 'kid-3-not-written-yet\n');
    now = 12_000;
    expect(rotating.kid).toBe('kid-2');
  });

  it('reads the folder again for unknown kids at most once per interval', async () => {
    let now = 0;
    let reads = 0;
    const keys = new TrustedCallerTokenKeys(
      () => {
        reads += 1;
        return readTrustedCallerTokenKeys(pkiDir);
      },
      () => now,
      2_000,
    );
    const flood = new CallerTokenVerifier(keys);
    const { privateKey } = generateKeyPairSync('ed25519');
    for (let index = 0; index < 50; index += 1) {
      const token = await new CallerTokenMinter({ kid: `made-up-${index}`, privateKey }).mint(alice, 'auth');
      await rejection(flood.verify(token, ['auth']));
    }
    expect(reads).toBe(1);
    now = 2_500;
    await rejection(
      flood.verify(await new CallerTokenMinter({ kid: 'another', privateKey }).mint(alice, 'auth'), ['auth']),
    );
    expect(reads).toBe(2);
  });
});
