import { KeyObject } from 'node:crypto';

import { createVerifier, TokenError } from 'fast-jwt';

import type { PermissionGrant } from '@flotilla/api-interfaces';

import { CallerIdentity, shapedProvenance } from '../caller-identity';
import {
  CALLER_TOKEN_ALGORITHM,
  CALLER_TOKEN_CLOCK_SKEW_S,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  MAX_CALLER_TOKEN_LIFETIME_S,
  MAX_KEPT_CALLER_TOKEN_LENGTH,
} from './caller-token-claims';
import { TrustedCallerTokenKeys } from './caller-token-keys';
import { KeptTokens } from './kept-tokens';
import {
  grantsOfScopeClaims,
  MAX_CALLER_TOKEN_LENGTH,
  MalformedCallerTokenScope,
} from './caller-token-scope';

/** A token that does not prove a caller; the message says why, for the refused client's log. */
export class CallerTokenRejected extends Error {}

type Payload = Record<string, unknown>;
type Verify = (token: string) => Payload;

function stringClaim(payload: Payload, name: string, required: boolean): string | undefined {
  const value = payload[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string')
    throw new CallerTokenRejected(`The caller token's ${name} claim is not text`);
  return value;
}

function permissionsClaim(payload: Payload): string[] {
  const value = payload['permissions'];
  if (!Array.isArray(value) || !value.every((entry): entry is string => typeof entry === 'string')) {
    throw new CallerTokenRejected("The caller token's permissions claim is not a list of names");
  }
  return value;
}

/** The grants claim if present; a malformed one refuses the token (never read as "no restriction"). */
function grantsClaim(payload: Payload): PermissionGrant[] | undefined {
  try {
    return grantsOfScopeClaims(payload);
  } catch (error) {
    if (error instanceof MalformedCallerTokenScope)
      throw new CallerTokenRejected("The caller token's grants claim is malformed");
    throw error;
  }
}

const FAST_JWT = TokenError.codes;

/** What fast-jwt's refusals mean for a caller; any other code reads as a malformed token. */
const REASONS: Partial<Record<string, string>> = {
  [FAST_JWT.expired]: 'The caller token has expired',
  [FAST_JWT.inactive]: 'The caller token is not valid yet (nbf)',
  [FAST_JWT.invalidSignature]: "The caller token's signature is not valid",
  [FAST_JWT.invalidAlgorithm]: 'The caller token is not signed with EdDSA',
  [FAST_JWT.invalidType]: `The caller token is not of type ${CALLER_TOKEN_TYPE} (typ)`,
};
const CLAIM_CODES: readonly string[] = [
  FAST_JWT.invalidClaimValue,
  FAST_JWT.invalidClaimType,
  FAST_JWT.missingRequiredClaim,
];

function describe(error: unknown): string {
  if (error instanceof CallerTokenRejected) return error.message;
  if (!(error instanceof TokenError))
    return `The caller token could not be verified (${error instanceof Error ? error.message : String(error)})`;
  if (CLAIM_CODES.includes(error.code))
    return /\baud\b/.test(error.message)
      ? 'The caller token is for another service (audience)'
      : `The caller token's claims are not acceptable (${error.message})`;
  return REASONS[error.code] ?? `The caller token is malformed (${error.code}: ${error.message})`;
}

/** The kid of a compact JWS's protected header, to pick the key; the verifier checks the rest. */
function kidOf(token: string): string {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    throw new CallerTokenRejected('The caller token is malformed (its header is not base64url JSON)');
  }
  const kid = (header as { kid?: unknown } | null)?.kid;
  if (typeof kid !== 'string' || !kid)
    throw new CallerTokenRejected('The caller token names no signing key (kid)');
  return kid;
}

/**
 * The identity a caller token's claims stand for, carrying the token itself; throws
 * CallerTokenRejected for claims no verified token of ours may hold. The verifier calls it on a
 * verified payload; test doubles of a service, which do not check signatures, on a decoded one.
 */
export function identityOfCallerTokenClaims(payload: Payload, token: string): CallerIdentity {
  const userId = stringClaim(payload, 'sub', true) as string;
  if (!userId || userId.startsWith('system:'))
    throw new CallerTokenRejected('The caller token names no user');
  const forwardedFor = stringClaim(payload, 'forwardedFor', false);
  const requestId = stringClaim(payload, 'requestId', false);
  const grants = grantsClaim(payload);
  // Signed by the gateway, yet shaped like any origin: a value outside the rules is dropped.
  const provenance = shapedProvenance({
    signInMethod: stringClaim(payload, 'signInMethod', false),
    apiKeyId: stringClaim(payload, 'apiKeyId', false),
    socketPeer: stringClaim(payload, 'socketPeer', false),
  });
  return {
    userId,
    username: stringClaim(payload, 'username', true) as string,
    clientIp: stringClaim(payload, 'clientIp', true) as string,
    ...(forwardedFor ? { forwardedFor } : {}),
    permissions: permissionsClaim(payload),
    ...(grants ? { grants } : {}),
    ...(requestId ? { requestId } : {}),
    ...provenance,
    callerToken: token,
  };
}

/** A token verified before: what it proved, until when, for which audience, under which key. */
interface VerifiedToken {
  identity: CallerIdentity;
  exp: number;
  aud: string;
  kid: string;
  key: KeyObject;
}

/**
 * Verifies caller tokens against the trusted public keys: signature (EdDSA only), issuer, type,
 * expiry with a few seconds of clock skew, a lifetime of at most 60 s, and an audience among
 * the ones the caller may present here (the service itself; for delegation, the mTLS peer).
 *
 * fast-jwt verifies synchronously on the calling thread: an Ed25519 verification sent to libuv's
 * thread pool (jose's promisified crypto.verify) cost 2.5 times its own CPU in thread hand-offs
 * on the 2-core benchmark machine.
 *
 * The gateway sends one token for many calls of the same caller (caller-token-minter.ts), so what a
 * token proved is kept until it expires and a token seen before costs a lookup, not a signature
 * check: its expiry, its audience and its key (still trusted, the same one) are checked again on
 * every call. A token that was refused is never kept.
 */
export class CallerTokenVerifier {
  /** Verifiers by key (a reload brings new KeyObjects, so a replaced key never meets an old one) and audiences. */
  private readonly verifiers = new WeakMap<KeyObject, Map<string, Verify>>();
  private readonly verified = new KeptTokens<VerifiedToken>(
    (kept, now) => now > kept.exp + CALLER_TOKEN_CLOCK_SKEW_S,
  );

  constructor(private readonly keys: TrustedCallerTokenKeys) {}

  /** The identity the token stands for, carrying the token for onward calls; throws CallerTokenRejected. */
  verify(token: string, audiences: readonly string[], nowSeconds?: number): CallerIdentity {
    // A fixed clock (tests) always verifies afresh.
    if (nowSeconds !== undefined) return this.verifyAfresh(token, audiences, nowSeconds).identity;
    const now = Date.now() / 1000;
    // Only tokens up to the kept length are ever kept: a longer one is not even looked up.
    const keepable = token.length <= MAX_KEPT_CALLER_TOKEN_LENGTH;
    const known = keepable ? this.verified.get(token, now) : undefined;
    if (known && this.keys.keyOf(known.kid) === known.key) {
      if (!audiences.includes(known.aud))
        throw new CallerTokenRejected('The caller token is for another service (audience)');
      return { ...known.identity };
    }
    const fresh = this.verifyAfresh(token, audiences, undefined);
    // A token naming several audiences is not one of ours: verified at every call, never kept.
    if (keepable && fresh.aud) this.verified.set(token, fresh, now);
    return { ...fresh.identity };
  }

  private verifyAfresh(
    token: string,
    audiences: readonly string[],
    nowSeconds: number | undefined,
  ): VerifiedToken {
    // A token is a few hundred characters, tens of thousands with a wide team scope; one past the
    // minter's bound is not one of ours and is not parsed.
    if (token.length > MAX_CALLER_TOKEN_LENGTH)
      throw new CallerTokenRejected(
        `The caller token is too long (${token.length} characters; at most ${MAX_CALLER_TOKEN_LENGTH})`,
      );
    let payload: Payload;
    let kid: string;
    let key: KeyObject;
    try {
      kid = kidOf(token);
      key = this.keyFor(kid);
      payload = this.verifierFor(key, audiences, nowSeconds)(token);
    } catch (error) {
      throw new CallerTokenRejected(describe(error));
    }
    const { iat, exp } = payload as { iat: number; exp: number };
    // fast-jwt bounds the age (maxAge from iat) but not an iat ahead of the clock, which would
    // stretch the token's life past 60 s from now.
    if (iat > (nowSeconds ?? Date.now() / 1000) + CALLER_TOKEN_CLOCK_SKEW_S)
      throw new CallerTokenRejected('The caller token is issued in the future (iat)');
    if (exp - iat > MAX_CALLER_TOKEN_LIFETIME_S) {
      throw new CallerTokenRejected(
        `The caller token claims to live ${exp - iat} s; at most ${MAX_CALLER_TOKEN_LIFETIME_S} s are accepted`,
      );
    }
    const identity = identityOfCallerTokenClaims(payload, token);
    // fast-jwt checked aud against the audiences; a token names one (the minter's), kept to check again.
    const aud = payload['aud'];
    return { identity, exp, aud: typeof aud === 'string' ? aud : '', kid, key };
  }

  private verifierFor(key: KeyObject, audiences: readonly string[], nowSeconds: number | undefined): Verify {
    // A fixed clock (tests) gets a verifier of its own, never kept.
    if (nowSeconds !== undefined) return this.createVerify(key, audiences, nowSeconds * 1000);
    let byAudience = this.verifiers.get(key);
    if (!byAudience) {
      byAudience = new Map();
      this.verifiers.set(key, byAudience);
    }
    const audienceKey = audiences.join('\n');
    let verify = byAudience.get(audienceKey);
    if (!verify) {
      verify = this.createVerify(key, audiences, undefined);
      byAudience.set(audienceKey, verify);
    }
    return verify;
  }

  private createVerify(
    key: KeyObject,
    audiences: readonly string[],
    clockTimestamp: number | undefined,
  ): Verify {
    return createVerifier({
      key: key.export({ type: 'spki', format: 'pem' }).toString(),
      algorithms: [CALLER_TOKEN_ALGORITHM],
      allowedIss: CALLER_TOKEN_ISSUER,
      allowedAud: [...audiences],
      checkTyp: CALLER_TOKEN_TYPE,
      clockTolerance: CALLER_TOKEN_CLOCK_SKEW_S * 1000,
      maxAge: (MAX_CALLER_TOKEN_LIFETIME_S + CALLER_TOKEN_CLOCK_SKEW_S) * 1000,
      requiredClaims: ['sub', 'iat', 'exp'],
      cache: false,
      ...(clockTimestamp === undefined ? {} : { clockTimestamp }),
    }) as Verify;
  }

  private keyFor(kid: string): KeyObject {
    const key = this.keys.keyOf(kid);
    if (!key)
      throw new CallerTokenRejected(`The caller token is signed by an unknown key (kid ${kid.slice(0, 64)})`);
    return key;
  }
}
