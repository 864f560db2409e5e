import { generateKeyPairSync, randomUUID } from 'node:crypto';
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
import {
  CallerTokenTooLarge,
  MAX_CALLER_TOKEN_LENGTH,
  MAX_CALLER_TOKEN_SCOPE_IDS,
} from './caller-token-scope';
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
/** What a token carries of alice: everything but the request id, which travels beside it. */
const { requestId: _travelsBeside, ...aliceInToken } = alice;

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

  /** The reason `verify` gives for refusing; fails the test if it accepts. */
  const rejection = (verify: () => unknown): string => {
    let error: unknown;
    try {
      verify();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CallerTokenRejected);
    return (error as Error).message;
  };

  it('carries the user, permissions and origin to the audience, with the token itself, and no request id', () => {
    const token = minter.mint(alice, 'orchestrator');
    expect(verifier.verify(token, ['orchestrator'])).toEqual({ ...aliceInToken, callerToken: token });
  });

  it('carries how the user signed in, the API key id and the socket peer, for the audit trail', () => {
    const withKey: CallerIdentity = {
      ...aliceInToken,
      signInMethod: 'api-key',
      apiKeyId: '4b1f0c9e-0000-4000-8000-000000000001',
      socketPeer: '127.0.0.1',
    };
    const token = minter.mint(withKey, 'orchestrator');
    expect(verifier.verify(token, ['orchestrator'])).toEqual({ ...withKey, callerToken: token });
    // A value outside the rules is never signed: the token carries only what the trail may store.
    const odd = minter.mint(
      { ...alice, signInMethod: 'magic' as 'password', apiKeyId: 'a key', socketPeer: 'proxy' },
      'auth',
    );
    const payload = JSON.parse(Buffer.from(odd.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(payload).not.toHaveProperty('signInMethod');
    expect(payload).not.toHaveProperty('apiKeyId');
    expect(payload).not.toHaveProperty('socketPeer');
  });

  it('drops provenance claims of a signed token that break the rules, keeping the user', async () => {
    const signing = readCallerTokenSigningKey(pkiDir);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      username: 'x',
      permissions: [],
      clientIp: '',
      signInMethod: 'root',
      apiKeyId: 'a\nb',
      socketPeer: '::ffff:10.0.0.1',
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject('u')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .sign(signing.privateKey);
    const identity = verifier.verify(token, ['auth']);
    expect(identity).toMatchObject({ userId: 'u', socketPeer: '10.0.0.1' });
    expect(identity).not.toHaveProperty('signInMethod');
    expect(identity).not.toHaveProperty('apiKeyId');
  });

  it('carries scoped grants as they are, and refuses a token whose grants claim is malformed', async () => {
    const scoped: CallerIdentity = {
      ...aliceInToken,
      grants: [
        { permissions: ['DeploymentCreate'], projectIds: ['p-shop'], environmentIds: ['e-staging'] },
        { permissions: ['ProjectView'] },
        { permissions: ['ReleaseView'], projectIds: [] },
      ],
    };
    const token = minter.mint(scoped, 'orchestrator');
    expect(verifier.verify(token, ['orchestrator'])).toEqual({ ...scoped, callerToken: token });
    const { privateKey } = readCallerTokenSigningKey(pkiDir);
    const forged = (grants: unknown) =>
      new SignJWT({ username: 'a', clientIp: '', permissions: [], grants })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'flotilla-caller+jwt', kid: 'kid-1' })
        .setIssuer('flotilla-gateway')
        .setSubject('user-a')
        .setAudience('orchestrator')
        .setIssuedAt()
        .setExpirationTime('30s')
        .sign(privateKey);
    for (const grants of [
      {},
      [null],
      [{ permissions: 'ProjectView' }],
      [{ permissions: [], projectIds: 'p' }],
    ]) {
      const bad = await forged(grants);
      expect(rejection(() => verifier.verify(bad, ['orchestrator']))).toMatch(/grants claim is malformed/);
    }
  });

  it('carries a team scope of 1,000 projects over several grants, each id once, in about 30,000 characters', () => {
    const projects = Array.from({ length: 1000 }, () => randomUUID());
    const wide: CallerIdentity = {
      ...alice,
      permissions: ['ProjectView', 'ReleaseCreate', 'DeploymentCreate'],
      grants: [
        { permissions: ['ProjectView'], projectIds: projects },
        { permissions: ['ReleaseCreate'], projectIds: projects },
        {
          permissions: ['DeploymentCreate'],
          projectIds: projects.slice(0, 10),
          environmentIds: ['e-staging'],
        },
      ],
    };
    const token = minter.mint(wide, 'orchestrator');
    // 16 bytes a UUID, base64url in the claim, base64url again in the JWS: ~28.4 characters an id.
    expect(token.length).toBeGreaterThan(28_000);
    expect(token.length).toBeLessThan(31_000);
    const verified = verifier.verify(token, ['orchestrator']);
    expect(verified.grants?.map((grant) => new Set(grant.projectIds))).toEqual(
      wide.grants?.map((grant) => new Set(grant.projectIds)),
    );
    expect(verified.grants?.[2]).toMatchObject({
      permissions: ['DeploymentCreate'],
      environmentIds: ['e-staging'],
    });
    expect(verified).toMatchObject({ userId: alice.userId, permissions: wide.permissions });
  });

  it('mints no token for grants beyond the bound, saying how many ids and what the limit is', () => {
    const projects = Array.from({ length: MAX_CALLER_TOKEN_SCOPE_IDS + 200 }, () => randomUUID());
    const tooWide: CallerIdentity = {
      ...alice,
      grants: [{ permissions: ['ProjectView'], projectIds: projects }],
    };
    expect(() => minter.mint(tooWide, 'orchestrator')).toThrow(CallerTokenTooLarge);
    expect(() => minter.mint(tooWide, 'orchestrator')).toThrow(
      `list ${MAX_CALLER_TOKEN_SCOPE_IDS + 200} distinct projects and environments over 1 scoped grants; the limit is ${MAX_CALLER_TOKEN_SCOPE_IDS}`,
    );
  });

  it('refuses, unparsed, a token longer than the bound even when it is signed by the trusted key', async () => {
    const signing = readCallerTokenSigningKey(pkiDir);
    const signed = (padding: number) =>
      new SignJWT({ username: 'x', permissions: [], clientIp: '', forwardedFor: 'x'.repeat(padding) })
        .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: 'flotilla-caller+jwt' })
        .setIssuer('flotilla-gateway')
        .setSubject('u')
        .setAudience('auth')
        .setIssuedAt()
        .setExpirationTime('30s')
        .sign(signing.privateKey);
    // Just under the bound it is read (the bound is the length, not the content).
    const under = await signed(Math.floor((MAX_CALLER_TOKEN_LENGTH * 3) / 4) - 400);
    expect(under.length).toBeLessThanOrEqual(MAX_CALLER_TOKEN_LENGTH);
    expect(verifier.verify(under, ['auth'])).toMatchObject({ userId: 'u' });
    const over = await signed(Math.ceil((MAX_CALLER_TOKEN_LENGTH * 3) / 4));
    expect(rejection(() => verifier.verify(over, ['auth']))).toBe(
      `The caller token is too long (${over.length} characters; at most ${MAX_CALLER_TOKEN_LENGTH})`,
    );
  });

  it('refuses a token for another service', () => {
    const token = minter.mint(alice, 'auth');
    expect(rejection(() => verifier.verify(token, ['orchestrator']))).toMatch(/another service/);
  });

  it('refuses an expired token, allowing a few seconds of clock skew', () => {
    const now = Math.floor(Date.now() / 1000);
    const token = minter.mint(alice, 'audit', now - 40);
    expect(verifier.verify(token, ['audit'], now - 12)).toMatchObject({
      userId: alice.userId,
    });
    expect(rejection(() => verifier.verify(token, ['audit'], now))).toMatch(/expired/);
  });

  it('refuses a token signed by a key not in the folder, even one claiming a trusted kid', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = new CallerTokenMinter({ kid: 'kid-1', privateKey }).mint(alice, 'auth');
    expect(rejection(() => verifier.verify(forged, ['auth']))).toMatch(/signature is not valid/);
    const unknown = new CallerTokenMinter({ kid: 'kid-made-up', privateKey }).mint(alice, 'auth');
    expect(rejection(() => verifier.verify(unknown, ['auth']))).toMatch(/unknown key \(kid kid-made-up\)/);
  });

  it('refuses a token whose claims were changed after signing', () => {
    const token = minter.mint({ ...alice, permissions: ['ProjectView'] }, 'auth');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, permissions: ['AdministerSystem'] })).toString(
      'base64url',
    );
    expect(rejection(() => verifier.verify(`${header}.${raised}.${signature}`, ['auth']))).toMatch(
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
    expect(rejection(() => verifier.verify(hmac, ['auth']))).toMatch(/EdDSA/);
    const unsigned = (header: string) =>
      `${Buffer.from(header).toString('base64url')}.${hmac.split('.')[1]}.`;
    const withTrustedKid = unsigned('{"alg":"none","kid":"kid-1","typ":"flotilla-caller+jwt"}');
    expect(rejection(() => verifier.verify(withTrustedKid, ['auth']))).toMatch(/EdDSA|malformed/);
    const withoutKid = unsigned('{"alg":"none","typ":"flotilla-caller+jwt"}');
    expect(rejection(() => verifier.verify(withoutKid, ['auth']))).toMatch(/names no signing key/);
    const signing = readCallerTokenSigningKey(pkiDir);
    const longLived = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: 'flotilla-caller+jwt' })
      .setIssuer('flotilla-gateway')
      .setSubject('u')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + MAX_CALLER_TOKEN_LIFETIME_S + 3600)
      .sign(signing.privateKey);
    expect(rejection(() => verifier.verify(longLived, ['auth']))).toMatch(/at most 60 s/);
  });

  it('refuses a token issued in the future or of another type, even when signed by the trusted key', async () => {
    const signing = readCallerTokenSigningKey(pkiDir);
    const now = Math.floor(Date.now() / 1000);
    const token = (typ: string, iat: number) =>
      new SignJWT({ username: 'x', permissions: [], clientIp: '' })
        .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ })
        .setIssuer('flotilla-gateway')
        .setSubject('u')
        .setAudience('auth')
        .setIssuedAt(iat)
        .setExpirationTime(iat + 30)
        .sign(signing.privateKey);
    // Valid for 30 s from an hour ahead: a life far past 60 s from now.
    const ahead = await token('flotilla-caller+jwt', now + 3600);
    expect(rejection(() => verifier.verify(ahead, ['auth']))).toMatch(/issued in the future/);
    const otherType = await token('JWT', now);
    expect(rejection(() => verifier.verify(otherType, ['auth']))).toMatch(/type/);
    const good = await token('flotilla-caller+jwt', now);
    expect(verifier.verify(good, ['auth'])).toMatchObject({ userId: 'u' });
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
    expect(rejection(() => verifier.verify(system, ['auth']))).toMatch(/names no user/);
  });

  it('never mints a lifetime over 60 s, nor a token for no user', () => {
    const key = readCallerTokenSigningKey(pkiDir);
    expect(() => new CallerTokenMinter(key, 61)).toThrow(/1 to 60 s/);
    expect(() => minter.mint({ ...alice, userId: '' }, 'auth')).toThrow(/names none/);
  });

  it('trusts a key rotated in after start at its first token, and stops trusting a removed one', () => {
    let now = 0;
    const keys = new TrustedCallerTokenKeys(
      () => readTrustedCallerTokenKeys(pkiDir),
      () => now,
      2_000,
    );
    const rotatingVerifier = new CallerTokenVerifier(keys);
    rotatingVerifier.verify(minter.mint(alice, 'auth'), ['auth']);
    writeTestCallerTokenKey(pkiDir, 'kid-2');
    now = 5_000;
    const rotated = CallerTokenMinter.fromPkiDir(pkiDir).mint(alice, 'auth');
    expect(rotatingVerifier.verify(rotated, ['auth'])).toMatchObject({ userId: alice.userId });
    rmSync(join(pkiDir, 'caller-token', 'kid-1.pub'));
    now = 10_000;
    const { privateKey } = generateKeyPairSync('ed25519');
    // An unknown kid makes the folder be read again: kid-1 is gone from it now.
    rejection(() =>
      rotatingVerifier.verify(new CallerTokenMinter({ kid: 'kid-x', privateKey }).mint(alice, 'auth'), [
        'auth',
      ]),
    );
    expect(rejection(() => rotatingVerifier.verify(minter.mint(alice, 'auth'), ['auth']))).toMatch(
      /unknown key/,
    );
  });

  it('signs with a rotated key within the refresh interval, and keeps the old one through a half-done rotation', () => {
    let now = 0;
    const rotating = new CallerTokenMinter(new PkiFolderSigningKey(pkiDir, () => now, 5_000));
    expect(rotating.kid).toBe('kid-1');
    writeTestCallerTokenKey(pkiDir, 'kid-2');
    now = 1_000;
    expect(rotating.kid).toBe('kid-1');
    now = 6_000;
    expect(rotating.kid).toBe('kid-2');
    expect(verifier.verify(rotating.mint(alice, 'auth'), ['auth'])).toMatchObject({
      userId: alice.userId,
    });
    writeFileSync(join(pkiDir, 'caller-token', 'current'), 'kid-3-not-written-yet\n');
    now = 12_000;
    expect(rotating.kid).toBe('kid-2');
  });

  it('reads the folder again for unknown kids at most once per interval', () => {
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
      const token = new CallerTokenMinter({ kid: `made-up-${index}`, privateKey }).mint(alice, 'auth');
      rejection(() => flood.verify(token, ['auth']));
    }
    expect(reads).toBe(1);
    now = 2_500;
    rejection(() =>
      flood.verify(new CallerTokenMinter({ kid: 'another', privateKey }).mint(alice, 'auth'), ['auth']),
    );
    expect(reads).toBe(2);
  });
});
