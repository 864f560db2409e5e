import { randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';

import type { CallerIdentity } from '../caller-identity';
import {
  CALLER_TOKEN_ALGORITHM,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  CallerTokenClaims,
  DEFAULT_CALLER_TOKEN_LIFETIME_S,
  MAX_CALLER_TOKEN_LIFETIME_S,
} from './caller-token-claims';
import { CallerTokenSigningKey, readCallerTokenSigningKey } from './caller-token-keys';

/**
 * Signs caller tokens. Exists in the gateway process only: it is the one place that
 * authenticates users, and the only holder of the signing key.
 */
export class CallerTokenMinter {
  constructor(
    private readonly key: CallerTokenSigningKey,
    private readonly lifetimeSeconds = DEFAULT_CALLER_TOKEN_LIFETIME_S,
  ) {
    if (!(lifetimeSeconds > 0 && lifetimeSeconds <= MAX_CALLER_TOKEN_LIFETIME_S)) {
      throw new Error(`A caller token lives 1 to ${MAX_CALLER_TOKEN_LIFETIME_S} s, not ${lifetimeSeconds}`);
    }
  }

  /** The minter of the PKI folder's current signing key (re-read at each gateway start). */
  static fromPkiDir(pkiDir: string, lifetimeSeconds?: number): CallerTokenMinter {
    return new CallerTokenMinter(readCallerTokenSigningKey(pkiDir), lifetimeSeconds);
  }

  get kid(): string {
    return this.key.kid;
  }

  /** A token for `identity`, good only at `audience` (the service the call goes to). */
  async mint(
    identity: CallerIdentity,
    audience: string,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<string> {
    if (!identity.userId) throw new Error('A caller token stands for a user; this identity names none');
    const claims: Omit<CallerTokenClaims, 'sub'> = {
      username: identity.username,
      permissions: [...identity.permissions],
      clientIp: identity.clientIp,
      ...(identity.forwardedFor ? { forwardedFor: identity.forwardedFor } : {}),
      ...(identity.requestId ? { requestId: identity.requestId } : {}),
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: CALLER_TOKEN_ALGORITHM, kid: this.key.kid, typ: CALLER_TOKEN_TYPE })
      .setIssuer(CALLER_TOKEN_ISSUER)
      .setSubject(identity.userId)
      .setAudience(audience)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
  }
}
