import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * Redis channel on which auth tells every gateway that credentials stopped being valid. The gateway
 * holds the same name (libs/gateway-api's token-validator-revocations.ts; it does not import the
 * auth lib); the cluster e2e spec fails if they drift apart.
 */
export const TOKEN_REVOCATIONS_CHANNEL = 'flotilla:auth:revocations';

/**
 * What stopped working. `userId`: every session and API key of that user (disabled, sessions
 * revoked, password reset); `tokenHash`: the one credential whose SHA-256 this is (sign-out, an
 * API key revoked). Published as JSON; never carries a token itself.
 */
export interface TokenRevocation {
  userId?: string;
  tokenHash?: string;
  /** For logs: 'sign-out', 'user-disabled', ... */
  reason: string;
}

/**
 * Tells the gateways, after the change committed, to drop what they cached. The database is the
 * truth and the gateways cache a valid answer for at most a second whatever happens here (see the
 * gateway's token-validator.ts), so a lost notice costs at most that second, never correctness:
 * implementations never throw.
 */
export interface TokenRevocations {
  published(revocation: TokenRevocation): Promise<void>;
}

export const TOKEN_REVOCATIONS = Symbol('TOKEN_REVOCATIONS');

/** Without Redis: the gateways' one-second cache lifetime alone bounds the delay. */
export class NoTokenRevocations implements TokenRevocations {
  async published(): Promise<void> {}
}

/** How long an answer waits for Redis to take the notice before it goes out anyway. */
const PUBLISH_TIMEOUT_MS = 500;

export class RedisTokenRevocations implements TokenRevocations, OnApplicationShutdown {
  private readonly logger = new Logger(RedisTokenRevocations.name);
  private readonly redis: Redis;
  private lastErrorLoggedAt = 0;

  constructor(url: string) {
    // Fail a publish fast rather than queue it while Redis is away: the cache lifetime covers it.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  /**
   * Awaited before the RPC answers: Redis hands the notice to every subscribed gateway while it
   * answers this PUBLISH, so by the time the caller hears "signed out" (through its gateway and
   * HAProxy, several hops longer than Redis to a gateway) the other gateways have it too.
   */
  async published(revocation: TokenRevocation): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${PUBLISH_TIMEOUT_MS} ms`)),
        PUBLISH_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([
        this.redis.publish(TOKEN_REVOCATIONS_CHANNEL, JSON.stringify(revocation)),
        timeout,
      ]);
    } catch (error) {
      this.warn(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** At most one line every 30 s while Redis is down. */
  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLoggedAt < 30_000) return;
    this.lastErrorLoggedAt = now;
    this.logger.warn(
      `Redis revocation notices unavailable (gateways still drop cached credentials within 1 s): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}
