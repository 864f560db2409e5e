import type { KeyObject } from 'node:crypto';

import { CallerIdentity } from '../caller-identity';
import {
  CALLER_TOKEN_ALGORITHM,
  CALLER_TOKEN_CLOCK_SKEW_S,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  MAX_CALLER_TOKEN_LIFETIME_S,
} from './caller-token-claims';
import { TrustedCallerTokenKeys } from './caller-token-keys';
import { JsonObject, JwsRejected, parseCompactJws } from './compact-jws';

/** A token that does not prove a caller; the message says why, for the refused client's log. */
export class CallerTokenRejected extends Error {}

/** Tokens are a few hundred bytes; anything far larger is not one and is not parsed. */
const MAX_TOKEN_LENGTH = 8 * 1024;

function stringClaim(payload: JsonObject, name: string, required: boolean): string | undefined {
  const value = payload[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string')
    throw new CallerTokenRejected(`The caller token's ${name} claim is not text`);
  return value;
}

function permissionsClaim(payload: JsonObject): string[] {
  const value = payload['permissions'];
  if (!Array.isArray(value) || !value.every((entry): entry is string => typeof entry === 'string')) {
    throw new CallerTokenRejected("The caller token's permissions claim is not a list of names");
  }
  return value;
}

/** A claim that is missing, of the wrong type or out of bounds (jose's JWTClaimValidationFailed). */
function claimRefused(claim: string, reason: 'missing' | 'invalid' | 'check_failed'): CallerTokenRejected {
  return new CallerTokenRejected(
    claim === 'aud'
      ? 'The caller token is for another service (audience)'
      : `The caller token's ${claim} claim is not acceptable (${reason})`,
  );
}

const expired = (): CallerTokenRejected => new CallerTokenRejected('The caller token has expired');

/** jose compared `typ` case-insensitively and without an `application/` prefix (RFC 7515 4.1.9). */
const normalizeTyp = (value: string): string => value.toLowerCase().replace(/^application\//, '');
const EXPECTED_TYP = normalizeTyp(CALLER_TOKEN_TYPE);

/** Claims that must be present, in the order jose looked for them (so refusals name the same one). */
const REQUIRED_CLAIMS = ['iss', 'aud', 'iat', 'exp', 'sub'] as const;

/** The claims-set checks of jose's jwtVerify with the options this verifier always used. */
function checkRegisteredClaims(
  header: JsonObject,
  payload: JsonObject,
  audiences: readonly string[],
  now: number,
): { iat: number; exp: number } {
  if (typeof header['typ'] !== 'string' || normalizeTyp(header['typ']) !== EXPECTED_TYP)
    throw claimRefused('typ', 'check_failed');
  for (const claim of REQUIRED_CLAIMS) if (!(claim in payload)) throw claimRefused(claim, 'missing');
  if (payload['iss'] !== CALLER_TOKEN_ISSUER) throw claimRefused('iss', 'check_failed');
  const aud = payload['aud'];
  const forHere =
    typeof aud === 'string'
      ? audiences.includes(aud)
      : Array.isArray(aud) && aud.some((entry) => audiences.includes(entry as string));
  if (!forHere) throw claimRefused('aud', 'check_failed');
  const skew = CALLER_TOKEN_CLOCK_SKEW_S;
  const { iat, exp, nbf } = payload;
  if (typeof iat !== 'number') throw claimRefused('iat', 'invalid');
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw claimRefused('nbf', 'invalid');
    if (nbf > now + skew) throw claimRefused('nbf', 'check_failed');
  }
  if (typeof exp !== 'number') throw claimRefused('exp', 'invalid');
  if (exp <= now - skew) throw expired();
  const age = now - iat;
  if (age - skew > MAX_CALLER_TOKEN_LIFETIME_S + skew) throw expired();
  if (age < -skew) throw claimRefused('iat', 'check_failed');
  return { iat, exp };
}

/**
 * Verifies caller tokens against the trusted public keys: signature (EdDSA only), issuer, type,
 * expiry with a few seconds of clock skew, a lifetime of at most 60 s, and an audience among
 * the ones the caller may present here (the service itself; for delegation, the mTLS peer).
 */
export class CallerTokenVerifier {
  constructor(private readonly keys: TrustedCallerTokenKeys) {}

  /** The identity the token stands for, carrying the token for onward calls; throws CallerTokenRejected. */
  verify(token: string, audiences: readonly string[], nowSeconds?: number): Promise<CallerIdentity> {
    try {
      return Promise.resolve(this.verifyNow(token, audiences, nowSeconds));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * verify() without the promise: the signature check is synchronous (node:crypto one-shot
   * Ed25519, tens of microseconds), so the server interceptor need not wait a turn for it.
   */
  verifyNow(token: string, audiences: readonly string[], nowSeconds?: number): CallerIdentity {
    if (token.length > MAX_TOKEN_LENGTH) throw new CallerTokenRejected('The caller token is too long');
    let header: JsonObject;
    let payload: JsonObject;
    try {
      const jws = parseCompactJws(token);
      header = jws.header;
      // jose's order: the header's own checks and the key first, the signature, then the claims.
      // A `crit` header names extensions this verifier does not implement: refused (jose refused
      // every one but b64, which caller tokens never use).
      if (header['crit'] !== undefined)
        throw new CallerTokenRejected('The caller token is malformed (ERR_JOSE_NOT_SUPPORTED)');
      if (header['alg'] !== CALLER_TOKEN_ALGORITHM)
        throw new CallerTokenRejected(
          typeof header['alg'] === 'string' && header['alg']
            ? 'The caller token is not signed with EdDSA'
            : 'The caller token is malformed (ERR_JWS_INVALID)',
        );
      payload = jws.verifiedPayload(this.keyFor(header));
    } catch (error) {
      if (error instanceof CallerTokenRejected) throw error;
      if (error instanceof JwsRejected)
        throw new CallerTokenRejected(
          error.failure === 'signature'
            ? "The caller token's signature is not valid"
            : `The caller token is malformed (${error.message})`,
        );
      throw new CallerTokenRejected(
        `The caller token could not be verified (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const now = nowSeconds ?? Math.floor(Date.now() / 1000);
    const { iat, exp } = checkRegisteredClaims(header, payload, audiences, now);
    if (exp - iat > MAX_CALLER_TOKEN_LIFETIME_S) {
      throw new CallerTokenRejected(
        `The caller token claims to live ${exp - iat} s; at most ${MAX_CALLER_TOKEN_LIFETIME_S} s are accepted`,
      );
    }
    const userId = stringClaim(payload, 'sub', true) as string;
    if (!userId || userId.startsWith('system:'))
      throw new CallerTokenRejected('The caller token names no user');
    const forwardedFor = stringClaim(payload, 'forwardedFor', false);
    const requestId = stringClaim(payload, 'requestId', false);
    return {
      userId,
      username: stringClaim(payload, 'username', true) as string,
      clientIp: stringClaim(payload, 'clientIp', true) as string,
      ...(forwardedFor ? { forwardedFor } : {}),
      permissions: permissionsClaim(payload),
      ...(requestId ? { requestId } : {}),
      callerToken: token,
    };
  }

  private keyFor(header: JsonObject): KeyObject {
    const kid = header['kid'];
    if (typeof kid !== 'string' || !kid)
      throw new CallerTokenRejected('The caller token names no signing key (kid)');
    const key = this.keys.keyOf(kid);
    if (!key)
      throw new CallerTokenRejected(`The caller token is signed by an unknown key (kid ${kid.slice(0, 64)})`);
    // node:crypto's verify picks the scheme from the key: only an Ed25519 public key makes it EdDSA.
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
      throw new CallerTokenRejected(
        `The caller token's key ${kid.slice(0, 64)} is not an Ed25519 public key`,
      );
    return key;
  }
}
