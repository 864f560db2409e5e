import { randomUUID } from 'node:crypto';

import { createSigner } from 'fast-jwt';

import { CallerIdentity, shapedProvenance } from '../caller-identity';
import {
  CALLER_TOKEN_ALGORITHM,
  CALLER_TOKEN_ISSUER,
  CALLER_TOKEN_TYPE,
  CallerTokenClaims,
  DEFAULT_CALLER_TOKEN_LIFETIME_S,
  MAX_CALLER_TOKEN_LIFETIME_S,
  MAX_KEPT_CALLER_TOKEN_LENGTH,
} from './caller-token-claims';
import { CallerTokenSigningKey, readCallerTokenSigningKey } from './caller-token-keys';
import { CallerTokenTooLarge, MAX_CALLER_TOKEN_LENGTH, scopeClaimsOf } from './caller-token-scope';
import { KeptTokens } from './kept-tokens';

/** How often at most the gateway looks whether caller-token/current names another key. */
export const SIGNING_KEY_REFRESH_MS = 5_000;

/**
 * The PKI folder's current signing key, followed without a restart: after a rotation
 * (`npm run pki -- rotate-caller-token`) the gateway signs with the new key within
 * SIGNING_KEY_REFRESH_MS; services trust it at its first token (they reload on an unknown kid).
 * A folder caught mid-rotation (unreadable for a moment) keeps the key in use.
 */
export class PkiFolderSigningKey {
  private key: CallerTokenSigningKey;
  private checkedAt: number;

  constructor(
    private readonly pkiDir: string,
    private readonly now: () => number = Date.now,
    private readonly refreshMs = SIGNING_KEY_REFRESH_MS,
  ) {
    this.key = readCallerTokenSigningKey(pkiDir);
    this.checkedAt = now();
  }

  current(): CallerTokenSigningKey {
    if (this.now() - this.checkedAt >= this.refreshMs) {
      this.checkedAt = this.now();
      try {
        this.key = readCallerTokenSigningKey(this.pkiDir);
      } catch {
        // Keep signing with the key that worked; the next check reads again.
      }
    }
    return this.key;
  }
}

type Sign = (claims: Record<string, unknown>) => string;

/**
 * How long a minted token is sent again for the same caller and audience: the first third of its
 * life, so a token always leaves with at least two thirds left (20 s of the default 30 s) for the
 * call and whatever the receiving service does onward with it.
 */
function reuseSecondsOf(lifetimeSeconds: number): number {
  return Math.floor(lifetimeSeconds / 3);
}

interface MintedToken {
  token: string;
  kid: string;
  iat: number;
}

/**
 * Signs caller tokens. Exists in the gateway process only: it is the one place that
 * authenticates users, and the only holder of the signing key.
 *
 * fast-jwt signs synchronously on the calling thread. A signature that waits for libuv's thread
 * pool (jose's promisified crypto.sign) cost about twice the CPU of the signature itself on the
 * 2-core benchmark machine, in thread hand-offs alone (tools/bench/src/caller-token-cost.ts).
 */
export class CallerTokenMinter {
  private readonly source: { current(): CallerTokenSigningKey };
  /** The signer of the key last used: a key rotated in gets a signer of its own. */
  private signer: { key: CallerTokenSigningKey; sign: Sign } | undefined;
  /** Tokens sent again within reuseSecondsOf(lifetime), by audience and everything they claim. */
  private readonly minted: KeptTokens<MintedToken>;

  constructor(
    key: CallerTokenSigningKey | PkiFolderSigningKey,
    private readonly lifetimeSeconds = DEFAULT_CALLER_TOKEN_LIFETIME_S,
  ) {
    if (!(lifetimeSeconds > 0 && lifetimeSeconds <= MAX_CALLER_TOKEN_LIFETIME_S)) {
      throw new Error(`A caller token lives 1 to ${MAX_CALLER_TOKEN_LIFETIME_S} s, not ${lifetimeSeconds}`);
    }
    this.source = key instanceof PkiFolderSigningKey ? key : { current: () => key };
    const reuseSeconds = reuseSecondsOf(lifetimeSeconds);
    // Past its reuse window, or issued after `now` (a clock gone backwards): mint anew.
    this.minted = new KeptTokens((kept, now) => now >= kept.iat + reuseSeconds || now < kept.iat);
  }

  /** The minter of the PKI folder's current signing key, following its rotations. */
  static fromPkiDir(pkiDir: string, lifetimeSeconds?: number): CallerTokenMinter {
    return new CallerTokenMinter(new PkiFolderSigningKey(pkiDir), lifetimeSeconds);
  }

  /** The kid it signs with now. */
  get kid(): string {
    return this.source.current().kid;
  }

  /**
   * A token for `identity`, good only at `audience` (the service the call goes to). Throws
   * CallerTokenTooLarge when the identity's grants (or, in theory, the rest) would not fit: a
   * token the verifier refuses to parse is never sent.
   *
   * The same caller (user, permissions, grants, origin, sign-in) calling the same audience gets
   * the token already minted while it is in its first third of life: an Ed25519 signature here
   * and a verification in the receiving service per call were the largest single cost the trust
   * boundaries added to a REST request (issue 9, `npm run bench:security-one-node`). What a token
   * proves is unchanged: this user, with these grants, from this client, to this service, for at
   * most its lifetime. The request id is not in it; it travels as call metadata beside it (see
   * server-call-authorization.ts).
   */
  mint(identity: CallerIdentity, audience: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
    if (!identity.userId) throw new Error('A caller token stands for a user; this identity names none');
    const claims = {
      iss: CALLER_TOKEN_ISSUER,
      sub: identity.userId,
      aud: audience,
      username: identity.username,
      permissions: [...identity.permissions],
      ...(identity.grants ? scopeClaimsOf(identity.grants) : {}),
      clientIp: identity.clientIp,
      ...(identity.forwardedFor ? { forwardedFor: identity.forwardedFor } : {}),
      // A few short validated fields: the token stays small, and what it carries is what the trail stores.
      ...shapedProvenance(identity),
    };
    const key = this.source.current();
    const reuseKey = JSON.stringify(claims);
    const reusable = this.minted.get(reuseKey, nowSeconds);
    if (reusable?.kid === key.kid) return reusable.token;
    const signed: CallerTokenClaims & Record<string, unknown> = {
      ...claims,
      iat: nowSeconds,
      exp: nowSeconds + this.lifetimeSeconds,
      jti: randomUUID(),
    };
    const token = this.signerOf(key)(signed);
    if (token.length > MAX_CALLER_TOKEN_LENGTH)
      throw new CallerTokenTooLarge(
        `The caller token of ${identity.username} would be ${token.length} characters long; the limit is ${MAX_CALLER_TOKEN_LENGTH}`,
      );
    if (token.length <= MAX_KEPT_CALLER_TOKEN_LENGTH)
      this.minted.set(reuseKey, { token, kid: key.kid, iat: nowSeconds }, nowSeconds);
    return token;
  }

  private signerOf(key: CallerTokenSigningKey): Sign {
    if (this.signer?.key !== key) {
      const sign = createSigner({
        key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        algorithm: CALLER_TOKEN_ALGORITHM,
        kid: key.kid,
        header: { alg: CALLER_TOKEN_ALGORITHM, typ: CALLER_TOKEN_TYPE },
      });
      this.signer = { key, sign: (claims) => sign(claims) };
    }
    return this.signer.sign;
  }
}
