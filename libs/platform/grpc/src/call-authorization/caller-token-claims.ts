import type { CallerTokenScopeClaims } from './caller-token-scope';

/**
 * The caller token: a JWT the gateway signs (EdDSA, Ed25519) after it authenticated a user, sent
 * on each gRPC call as `x-flotilla-caller-token`. It is the only thing a service takes a user
 * from; plain identity metadata is stripped on arrival. Short-lived and bound to one audience
 * (the target service), so a token seen by one service cannot be replayed against another
 * except by that service itself, acting onward for the same user (delegation, checked against
 * the mTLS peer).
 */
export const CALLER_TOKEN_ISSUER = 'flotilla-gateway';
/** JOSE `typ`, so no other JWT signed by the same key type could pass for a caller token. */
export const CALLER_TOKEN_TYPE = 'flotilla-caller+jwt';
export const CALLER_TOKEN_ALGORITHM = 'EdDSA' as const;

/** Default lifetime: long enough for one user request's fan-out, short enough to be useless later. */
export const DEFAULT_CALLER_TOKEN_LIFETIME_S = 30;
/** The issue's bound; a verifier refuses any token claiming to live longer. */
export const MAX_CALLER_TOKEN_LIFETIME_S = 60;
/** Nodes' clocks differ by a little (NTP); not by more than this. */
export const CALLER_TOKEN_CLOCK_SKEW_S = 5;

/** The claims beyond the registered ones (iss, aud, sub, iat, exp, jti). */
export interface CallerTokenClaims {
  /** The user id (JWT `sub`). */
  sub: string;
  username: string;
  permissions: string[];
  /**
   * The user's grants when some are restricted to projects / environments (CallerIdentity.grants),
   * with their id table (scopeUuids, scopeIds): see caller-token-scope.ts.
   */
  grants?: CallerTokenScopeClaims['grants'];
  scopeUuids?: string;
  scopeIds?: string[];
  /** The client address the gateway resolved ('' if unknown). */
  clientIp: string;
  /** The bounded raw X-Forwarded-For, for the audit trail only. */
  forwardedFor?: string;
  /**
   * Not minted any more: a token is reused across a caller's requests (caller-token-minter.ts),
   * and the request id travels as call metadata. Read when present, from a gateway of an earlier
   * release during a rolling upgrade.
   */
  requestId?: string;
  /** How the user signed in (SIGN_IN_METHODS), for the audit trail. */
  signInMethod?: string;
  /** The API key's id when the request was authenticated with one (never the secret). */
  apiKeyId?: string;
  /** The TCP peer the gateway saw (usually the proxy), beside the resolved clientIp. */
  socketPeer?: string;
}

/**
 * Tokens up to this length are kept for reuse (the gateway) and as verified (the services): a
 * user's token is about 1.1 KB, one with a team scope of many projects up to 64 KB, and the
 * latter are minted and verified per call rather than held by the thousand.
 */
export const MAX_KEPT_CALLER_TOKEN_LENGTH = 4096;
/** How many tokens each side keeps at most (with the length bound: some 40 MB at worst). */
export const MAX_KEPT_CALLER_TOKENS = 5_000;
