import { Injectable, UnauthorizedException } from '@nestjs/common';
import { status } from '@grpc/grpc-js';

import { authV1 } from '@flotilla/contracts';
import { identityToMetadata, rpcErrorDetails } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';

/** How long a good answer from auth is reused: short, so revocation reaches every node quickly. */
export const TOKEN_CACHE_MS = 5_000;
const MAX_CACHED_TOKENS = 10_000;

interface CachedPrincipal {
  principal: authV1.Principal;
  expiresAt: number;
}

/** Answers from auth that mean "these credentials are no good" rather than "auth is unwell". */
const REJECTIONS: ReadonlySet<status> = new Set([
  status.UNAUTHENTICATED,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
]);

/**
 * Resolves a session token or API key through AuthService.ValidateToken, caching valid answers
 * for a few seconds so a page of parallel requests costs auth one call. Failures are never cached.
 */
@Injectable()
export class TokenValidator {
  private readonly cache = new Map<string, CachedPrincipal>();
  /** Injectable clock for tests. */
  now: () => number = Date.now;

  constructor(private readonly backends: BackendClients) {}

  async validate(token: string, clientIp: string): Promise<authV1.Principal> {
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    this.cache.delete(token);
    const anonymous = identityToMetadata({ userId: '', username: '', clientIp, permissions: [] });
    let principal: authV1.Principal;
    try {
      principal = await unary(this.backends.auth.validateToken({ token }, anonymous));
    } catch (error) {
      const details = rpcErrorDetails(error);
      if (details && REJECTIONS.has(details.code))
        throw new UnauthorizedException('Invalid or expired credentials');
      throw error;
    }
    if (this.cache.size >= MAX_CACHED_TOKENS) this.cache.clear();
    this.cache.set(token, { principal, expiresAt: this.now() + TOKEN_CACHE_MS });
    return principal;
  }

  /** Called on sign-out so this node stops honouring the session at once. */
  forget(token: string): void {
    this.cache.delete(token);
  }
}
