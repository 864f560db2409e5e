import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jwtVerify, SignJWT } from 'jose';

import type { CallerIdentity } from '../caller-identity';
import {
  CALLER_TOKEN_CLOCK_SKEW_S,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  MAX_CALLER_TOKEN_LIFETIME_S,
} from './caller-token-claims';
import { readCallerTokenSigningKey, TrustedCallerTokenKeys } from './caller-token-keys';
import { CallerTokenMinter } from './caller-token-minter';
import { CallerTokenVerifier } from './caller-token-verifier';
import { writeTestCallerTokenKey } from './testing/test-caller-token-keys.test-support';

const alice: CallerIdentity = {
  userId: 'user-alice',
  username: 'Alice Ødegaard',
  clientIp: '203.0.113.7',
  forwardedFor: '203.0.113.7, 10.0.0.2',
  permissions: ['ProjectView', 'AdministerSystem'],
  requestId: 'req-1',
};

const json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS made by hand, so any header and claims can be tried; Ed25519 unless `signature` says. */
function forge(header: object, claims: unknown, key: KeyObject, signature?: string): string {
  const input = `${json(header)}.${json(claims)}`;
  return `${input}.${signature ?? sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * The caller tokens are signed and verified with node:crypto directly (compact-jws.ts) instead of
 * jose, for CPU. This holds them to what jose did: tokens go both ways, and every hostile token
 * below gets the verdict jose's jwtVerify gave it with the options the verifier used to pass it
 * (where the verifier is deliberately stricter, the case says so).
 */
describe('caller tokens against jose', () => {
  let pkiDir: string;
  let minter: CallerTokenMinter;
  let verifier: CallerTokenVerifier;
  let keys: TrustedCallerTokenKeys;
  let kid: string;
  let privateKey: KeyObject;
  const now = Math.floor(Date.now() / 1000);

  beforeAll(() => {
    pkiDir = mkdtempSync(join(tmpdir(), 'flotilla-caller-token-jose-'));
    writeTestCallerTokenKey(pkiDir, 'kid-1');
    minter = CallerTokenMinter.fromPkiDir(pkiDir);
    keys = TrustedCallerTokenKeys.fromPkiDir(pkiDir);
    verifier = new CallerTokenVerifier(keys);
    ({ kid, privateKey } = readCallerTokenSigningKey(pkiDir));
  });

  afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

  /** What jose's jwtVerify made of a token with the options the verifier used to give it. */
  const joseVerdict = async (token: string, audiences: string[], at = now) =>
    jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.keyOf(header.kid);
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        algorithms: ['EdDSA'],
        issuer: CALLER_TOKEN_ISSUER,
        audience: audiences,
        typ: CALLER_TOKEN_TYPE,
        clockTolerance: CALLER_TOKEN_CLOCK_SKEW_S,
        maxTokenAge: MAX_CALLER_TOKEN_LIFETIME_S + CALLER_TOKEN_CLOCK_SKEW_S,
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: new Date(at * 1000),
      },
    ).then(
      () => true,
      () => false,
    );
  const ourVerdict = (token: string, audiences: string[], at = now) =>
    verifier.verify(token, audiences, at).then(
      () => true,
      () => false,
    );

  it('mints tokens jose verifies, with the claims jose’s SignJWT wrote', async () => {
    const token = await minter.mint(alice, 'orchestrator', now);
    const { payload, protectedHeader } = await jwtVerify(token, keys.keyOf(kid) as KeyObject, {
      algorithms: ['EdDSA'],
      typ: CALLER_TOKEN_TYPE,
      currentDate: new Date(now * 1000),
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid, typ: CALLER_TOKEN_TYPE });
    const { jti, ...rest } = payload;
    expect(jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(rest).toEqual({
      iss: CALLER_TOKEN_ISSUER,
      sub: alice.userId,
      aud: 'orchestrator',
      iat: now,
      exp: now + 30,
      username: alice.username,
      permissions: alice.permissions,
      clientIp: alice.clientIp,
      forwardedFor: alice.forwardedFor,
      requestId: alice.requestId,
    });
  });

  it('verifies a token jose’s SignJWT signed', async () => {
    const token = await new SignJWT({ username: 'alice', permissions: ['TaskView'], clientIp: '' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: CALLER_TOKEN_TYPE })
      .setIssuer(CALLER_TOKEN_ISSUER)
      .setSubject('user-alice')
      .setAudience('auth')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .setJti('j-1')
      .sign(privateKey);
    await expect(verifier.verify(token, ['auth'], now)).resolves.toMatchObject({
      userId: 'user-alice',
      permissions: ['TaskView'],
      callerToken: token,
    });
  });

  const header = () => ({ alg: 'EdDSA', kid, typ: CALLER_TOKEN_TYPE });
  const claims = (changes: Record<string, unknown> = {}) => {
    const base: Record<string, unknown> = {
      iss: CALLER_TOKEN_ISSUER,
      sub: 'user-alice',
      aud: 'auth',
      iat: now,
      exp: now + 30,
      username: 'alice',
      permissions: ['TaskView'],
      clientIp: '',
    };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete base[name];
      else base[name] = value;
    }
    return base;
  };
  const otherKey = generateKeyPairSync('ed25519').privateKey;

  /** ours: the verifier's verdict (true = accepted); jose: jose's, when it differs on purpose. */
  const cases: Array<{ name: string; token: () => string; ours: boolean; jose?: boolean }> = [
    { name: 'a well-formed token', token: () => forge(header(), claims(), privateKey), ours: true },
    {
      name: 'audience among several',
      token: () => forge(header(), claims({ aud: ['x', 'auth'] }), privateKey),
      ours: true,
    },
    {
      name: 'another audience',
      token: () => forge(header(), claims({ aud: 'audit' }), privateKey),
      ours: false,
    },
    {
      name: 'audiences none of them here',
      token: () => forge(header(), claims({ aud: ['x', 'y'] }), privateKey),
      ours: false,
    },
    {
      name: 'no audience',
      token: () => forge(header(), claims({ aud: undefined }), privateKey),
      ours: false,
    },
    { name: 'another issuer', token: () => forge(header(), claims({ iss: 'me' }), privateKey), ours: false },
    { name: 'no issuer', token: () => forge(header(), claims({ iss: undefined }), privateKey), ours: false },
    { name: 'no subject', token: () => forge(header(), claims({ sub: undefined }), privateKey), ours: false },
    {
      name: 'typ with application/ and other case',
      token: () => forge({ ...header(), typ: 'application/FLOTILLA-caller+JWT' }, claims(), privateKey),
      ours: true,
    },
    { name: 'typ JWT', token: () => forge({ ...header(), typ: 'JWT' }, claims(), privateKey), ours: false },
    { name: 'no typ', token: () => forge({ alg: 'EdDSA', kid }, claims(), privateKey), ours: false },
    {
      name: 'alg none, no signature',
      token: () => forge({ ...header(), alg: 'none' }, claims(), privateKey, ''),
      ours: false,
    },
    {
      name: 'alg HS256',
      token: () => forge({ ...header(), alg: 'HS256' }, claims(), privateKey),
      ours: false,
    },
    {
      name: 'no alg',
      token: () => forge({ kid, typ: CALLER_TOKEN_TYPE }, claims(), privateKey),
      ours: false,
    },
    { name: 'signed by an untrusted key', token: () => forge(header(), claims(), otherKey), ours: false },
    {
      name: 'claims changed after signing',
      token: () => {
        const [h, , s] = forge(header(), claims(), privateKey).split('.');
        return `${h}.${json(claims({ permissions: ['AdministerSystem'] }))}.${s}`;
      },
      ours: false,
    },
    {
      name: 'unknown kid',
      token: () => forge({ ...header(), kid: 'kid-9' }, claims(), privateKey),
      ours: false,
    },
    {
      name: 'no kid',
      token: () => forge({ alg: 'EdDSA', typ: CALLER_TOKEN_TYPE }, claims(), privateKey),
      ours: false,
    },
    { name: 'kid not text', token: () => forge({ ...header(), kid: 1 }, claims(), privateKey), ours: false },
    {
      name: 'a critical extension',
      token: () => forge({ ...header(), crit: ['exp'], exp: 1 }, claims(), privateKey),
      ours: false,
    },
    {
      // jose understood b64; caller tokens never use it, so the verifier refuses every crit.
      name: 'crit b64 (jose took it)',
      token: () => forge({ ...header(), crit: ['b64'], b64: true }, claims(), privateKey),
      ours: false,
      jose: true,
    },
    { name: 'no iat', token: () => forge(header(), claims({ iat: undefined }), privateKey), ours: false },
    {
      name: 'iat not a number',
      token: () => forge(header(), claims({ iat: `${now}` }), privateKey),
      ours: false,
    },
    {
      name: 'iat ahead within the skew',
      token: () => forge(header(), claims({ iat: now + 4, exp: now + 30 }), privateKey),
      ours: true,
    },
    {
      name: 'iat ahead beyond the skew',
      token: () => forge(header(), claims({ iat: now + 10, exp: now + 40 }), privateKey),
      ours: false,
    },
    { name: 'no exp', token: () => forge(header(), claims({ exp: undefined }), privateKey), ours: false },
    {
      name: 'exp not a number',
      token: () => forge(header(), claims({ exp: 'soon' }), privateKey),
      ours: false,
    },
    {
      name: 'expired within the skew',
      token: () => forge(header(), claims({ iat: now - 30, exp: now - 4 }), privateKey),
      ours: true,
    },
    {
      name: 'expired beyond the skew',
      token: () => forge(header(), claims({ iat: now - 30, exp: now - 5 }), privateKey),
      ours: false,
    },
    {
      name: 'issued too long ago',
      token: () => forge(header(), claims({ iat: now - 71, exp: now + 10 }), privateKey),
      ours: false,
    },
    {
      // The verifier's own bound (as before): jose alone checked only the age.
      name: 'claims to live 61 s',
      token: () => forge(header(), claims({ iat: now, exp: now + 61 }), privateKey),
      ours: false,
      jose: true,
    },
    {
      name: 'not yet valid (nbf)',
      token: () => forge(header(), claims({ nbf: now + 10 }), privateKey),
      ours: false,
    },
    { name: 'nbf not a number', token: () => forge(header(), claims({ nbf: 'x' }), privateKey), ours: false },
    {
      // Also the verifier's own (as before): a token stands for a user, never a process.
      name: 'a process as subject',
      token: () => forge(header(), claims({ sub: 'system:executor' }), privateKey),
      ours: false,
      jose: true,
    },
    { name: 'claims not an object', token: () => forge(header(), [1, 2], privateKey), ours: false },
    {
      name: 'two parts',
      token: () => forge(header(), claims(), privateKey).split('.').slice(0, 2).join('.'),
      ours: false,
    },
    { name: 'four parts', token: () => `${forge(header(), claims(), privateKey)}.x`, ours: false },
    {
      name: 'header not JSON',
      token: () => `bm90IGpzb24.${forge(header(), claims(), privateKey).split('.')[1]}.x`,
      ours: false,
    },
  ];

  it.each(cases)('$name: the verdict jose gave', async ({ token, ours, jose }) => {
    const made = token();
    expect(await ourVerdict(made, ['auth'])).toBe(ours);
    expect(await joseVerdict(made, ['auth'])).toBe(jose ?? ours);
  });

  it('refuses padding or other characters in a part, which jose’s lenient decoding let through', async () => {
    const made = forge(header(), claims(), privateKey);
    expect(await ourVerdict(made, ['auth'])).toBe(true);
    expect(await ourVerdict(`${made}=`, ['auth'])).toBe(false);
    expect(await ourVerdict(made.replace('.', '.\n'), ['auth'])).toBe(false);
  });
});
