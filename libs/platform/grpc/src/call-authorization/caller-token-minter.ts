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
} from './caller-token-claims';
import { CallerTokenSigningKey, readCallerTokenSigningKey } from './caller-token-keys';
import { CallerTokenTooLarge, MAX_CALLER_TOKEN_LENGTH, scopeClaimsOf } from './caller-token-scope';

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

  constructor(
    key: CallerTokenSigningKey | PkiFolderSigningKey,
    private readonly lifetimeSeconds = DEFAULT_CALLER_TOKEN_LIFETIME_S,
  ) {
    if (!(lifetimeSeconds > 0 && lifetimeSeconds <= MAX_CALLER_TOKEN_LIFETIME_S)) {
      throw new Error(`A caller token lives 1 to ${MAX_CALLER_TOKEN_LIFETIME_S} s, not ${lifetimeSeconds}`);
    }
    this.source = key instanceof PkiFolderSigningKey ? key : { current: () => key };
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
   */
  mint(identity: CallerIdentity, audience: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
    if (!identity.userId) throw new Error('A caller token stands for a user; this identity names none');
    const claims: CallerTokenClaims & Record<string, unknown> = {
      iss: CALLER_TOKEN_ISSUER,
      sub: identity.userId,
      aud: audience,
      iat: nowSeconds,
      exp: nowSeconds + this.lifetimeSeconds,
      jti: randomUUID(),
      username: identity.username,
      permissions: [...identity.permissions],
      ...(identity.grants ? scopeClaimsOf(identity.grants) : {}),
      clientIp: identity.clientIp,
      ...(identity.forwardedFor ? { forwardedFor: identity.forwardedFor } : {}),
      ...(identity.requestId ? { requestId: identity.requestId } : {}),
      // A few short validated fields: the token stays small, and what it carries is what the trail stores.
      ...shapedProvenance(identity),
    };
    const token = this.signerOf(this.source.current())(claims);
    if (token.length > MAX_CALLER_TOKEN_LENGTH)
      throw new CallerTokenTooLarge(
        `The caller token of ${identity.username} would be ${token.length} characters long; the limit is ${MAX_CALLER_TOKEN_LENGTH}`,
      );
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
