import { errors, JWTPayload, jwtVerify, ProtectedHeaderParameters } from 'jose';

import { CallerIdentity } from '../caller-identity';
import {
  CALLER_TOKEN_ALGORITHM,
  CALLER_TOKEN_CLOCK_SKEW_S,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  MAX_CALLER_TOKEN_LIFETIME_S,
} from './caller-token-claims';
import { TrustedCallerTokenKeys } from './caller-token-keys';

/** A token that does not prove a caller; the message says why, for the refused client's log. */
export class CallerTokenRejected extends Error {}

/** Tokens are a few hundred bytes; anything far larger is not one and is not parsed. */
const MAX_TOKEN_LENGTH = 8 * 1024;

function stringClaim(payload: JWTPayload, name: string, required: boolean): string | undefined {
  const value = payload[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string')
    throw new CallerTokenRejected(`The caller token's ${name} claim is not text`);
  return value;
}

function permissionsClaim(payload: JWTPayload): string[] {
  const value = payload['permissions'];
  if (!Array.isArray(value) || !value.every((entry): entry is string => typeof entry === 'string')) {
    throw new CallerTokenRejected("The caller token's permissions claim is not a list of names");
  }
  return value;
}

function describe(error: unknown): string {
  if (error instanceof CallerTokenRejected) return error.message;
  if (error instanceof errors.JWTExpired) return 'The caller token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'aud'
      ? 'The caller token is for another service (audience)'
      : `The caller token's ${error.claim} claim is not acceptable (${error.reason})`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "The caller token's signature is not valid";
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The caller token is not signed with EdDSA';
  if (error instanceof errors.JOSEError) return `The caller token is malformed (${error.code})`;
  return `The caller token could not be verified (${error instanceof Error ? error.message : String(error)})`;
}

/**
 * Verifies caller tokens against the trusted public keys: signature (EdDSA only), issuer, type,
 * expiry with a few seconds of clock skew, a lifetime of at most 60 s, and an audience among
 * the ones the caller may present here (the service itself; for delegation, the mTLS peer).
 */
export class CallerTokenVerifier {
  constructor(private readonly keys: TrustedCallerTokenKeys) {}

  /** The identity the token stands for, carrying the token for onward calls; throws CallerTokenRejected. */
  async verify(token: string, audiences: readonly string[], nowSeconds?: number): Promise<CallerIdentity> {
    if (token.length > MAX_TOKEN_LENGTH) throw new CallerTokenRejected('The caller token is too long');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header: ProtectedHeaderParameters) => this.keyFor(header), {
        algorithms: [CALLER_TOKEN_ALGORITHM],
        issuer: CALLER_TOKEN_ISSUER,
        audience: [...audiences],
        typ: CALLER_TOKEN_TYPE,
        clockTolerance: CALLER_TOKEN_CLOCK_SKEW_S,
        maxTokenAge: MAX_CALLER_TOKEN_LIFETIME_S + CALLER_TOKEN_CLOCK_SKEW_S,
        requiredClaims: ['sub', 'iat', 'exp'],
        ...(nowSeconds === undefined ? {} : { currentDate: new Date(nowSeconds * 1000) }),
      }));
    } catch (error) {
      throw new CallerTokenRejected(describe(error));
    }
    const { iat, exp } = payload as Required<Pick<JWTPayload, 'iat' | 'exp'>>;
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

  private keyFor(header: ProtectedHeaderParameters) {
    if (!header.kid) throw new CallerTokenRejected('The caller token names no signing key (kid)');
    const key = this.keys.keyOf(header.kid);
    if (!key)
      throw new CallerTokenRejected(
        `The caller token is signed by an unknown key (kid ${header.kid.slice(0, 64)})`,
      );
    return key;
  }
}
