import { createHash } from 'node:crypto';

import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { status } from '@grpc/grpc-js';

import { authV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { identityToMetadata, rpcErrorDetails } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { RevocationFeed, TokenRevocationNotice } from './token-validator-revocations';

/**
 * How long a good answer from auth is reused, counted from when the question was sent (auth read
 * the database after that, so a revocation committed later is honoured within this time).
 *
 * One second, with or without Redis. Revocations (sign-out, a disabled user, revoked sessions or
 * API keys, a password reset) must reach every node within a second. Redis pub/sub makes that
 * immediate (auth publishes before it answers; see token-validator-revocations.ts), but a notice
 * can be lost: Redis restarting, auth's publisher or this subscriber cut off, no Redis at all.
 * Keeping the cache at a second in every case holds the bound without reasoning about which of
 * those happened; a page's burst of parallel requests still costs auth one call, which is what the
 * cache is for (it was 5 s before, i.e. one ValidateToken per token per gateway every 5 s instead
 * of every second: a negligible difference for auth).
 */
export const TOKEN_CACHE_MS = 1_000;
const MAX_CACHED_TOKENS = 10_000;

interface CachedPrincipal {
  principal: authV1.Principal;
  /** SHA-256 (hex) of the token, as auth names it in a revocation notice. */
  tokenHash: string;
  expiresAt: number;
}

/** Answers from auth that mean "these credentials are no good" rather than "auth is unwell". */
const REJECTIONS: ReadonlySet<status> = new Set([
  status.UNAUTHENTICATED,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
]);

function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Resolves a session token or API key through AuthService.ValidateToken, caching valid answers
 * for a second so a page of parallel requests costs auth one call. Failures are never cached.
 * With FLOTILLA_REDIS_URL, auth's revocation notices drop the affected entries at once.
 *
 * Requests that arrive while the same question is on its way to auth wait for that answer instead
 * of asking again. Without it every cache expiry under load sent one ValidateToken per request in
 * flight (about 3 a second for one token, 8 clients on one node, in PostgreSQL's statement log;
 * each some 4 queries). A question sent before a revocation notice is never joined, so a request
 * after a sign-out is never answered with what auth said before it.
 */
@Injectable()
export class TokenValidator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TokenValidator.name);
  private readonly cache = new Map<string, CachedPrincipal>();
  /** Questions on their way to auth, by client address and token (as each one is asked). */
  private readonly inFlight = new Map<string, Promise<authV1.Principal>>();
  /**
   * Counts revocation notices. An answer whose question was sent before a notice arrived may
   * predate the revocation, so it is used for that request but not cached.
   */
  private revocationsSeen = 0;
  private readonly feed: RevocationFeed | undefined;
  /** Injectable clock for tests. */
  now: () => number = Date.now;

  constructor(
    private readonly backends: BackendClients,
    @Optional() @Inject(FLOTILLA_CONFIG) config?: Pick<FlotillaConfig, 'redisUrl'>,
  ) {
    const redisUrl = config?.redisUrl;
    this.feed = redisUrl
      ? new RevocationFeed({
          redisUrl,
          onRevocation: (notice) => this.revoke(notice),
          logger: this.logger,
        })
      : undefined;
  }

  onModuleInit(): void {
    this.feed?.start();
  }

  onApplicationShutdown(): void {
    this.feed?.stop();
  }

  async validate(token: string, clientIp: string): Promise<authV1.Principal> {
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    this.cache.delete(token);
    // The address is part of the question: auth records a failed resolution with it.
    const question = `${clientIp}\n${token}`;
    const asked = this.inFlight.get(question);
    if (asked) return asked;
    const answer = this.ask(token, clientIp);
    this.inFlight.set(question, answer);
    const settled = (): void => {
      if (this.inFlight.get(question) === answer) this.inFlight.delete(question);
    };
    answer.then(settled, settled);
    return answer;
  }

  private async ask(token: string, clientIp: string): Promise<authV1.Principal> {
    const anonymous = identityToMetadata({ userId: '', username: '', clientIp, permissions: [] });
    const askedAt = this.now();
    const revocationsBefore = this.revocationsSeen;
    let principal: authV1.Principal;
    try {
      principal = await unary(this.backends.auth.validateToken({ token }, anonymous));
    } catch (error) {
      const details = rpcErrorDetails(error);
      if (details && REJECTIONS.has(details.code))
        throw new UnauthorizedException('Invalid or expired credentials');
      throw error;
    }
    if (this.revocationsSeen !== revocationsBefore) return principal;
    if (this.cache.size >= MAX_CACHED_TOKENS) this.cache.clear();
    this.cache.set(token, { principal, tokenHash: sha256Hex(token), expiresAt: askedAt + TOKEN_CACHE_MS });
    return principal;
  }

  /** Called on sign-out so this node stops honouring the session at once. */
  forget(token: string): void {
    this.cache.delete(token);
    for (const question of this.inFlight.keys())
      if (question.endsWith(`\n${token}`)) this.inFlight.delete(question);
  }

  /** Drops every cached credential a revocation notice names (all of a user's, or one by hash). */
  revoke(notice: TokenRevocationNotice): void {
    this.revocationsSeen++;
    // Questions already asked may predate the revocation: later requests ask afresh.
    this.inFlight.clear();
    for (const [token, entry] of this.cache) {
      if (
        (notice.userId !== undefined && entry.principal.userId === notice.userId) ||
        (notice.tokenHash !== undefined && entry.tokenHash === notice.tokenHash)
      )
        this.cache.delete(token);
    }
  }
}
