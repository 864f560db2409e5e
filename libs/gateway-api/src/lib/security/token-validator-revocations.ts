import { Redis } from 'ioredis';

/**
 * The Redis channel auth publishes revoked credentials on: TOKEN_REVOCATIONS_CHANNEL in libs/auth's
 * account-revocations.ts (the gateway does not import the auth lib; the cluster e2e spec fails if
 * the two drift apart).
 */
export const TOKEN_REVOCATIONS_CHANNEL = 'flotilla:auth:revocations';

/**
 * What stopped working: every credential of `userId` (disabled, sessions revoked, password reset),
 * or the one whose SHA-256 (hex) is `tokenHash` (sign-out, API key revoked).
 */
export interface TokenRevocationNotice {
  userId?: string;
  tokenHash?: string;
}

/** A notice as published, or undefined for anything else (never trusted beyond dropping entries). */
export function parseRevocationNotice(message: string): TokenRevocationNotice | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { userId, tokenHash } = parsed as Record<string, unknown>;
  const notice: TokenRevocationNotice = {
    ...(typeof userId === 'string' && userId ? { userId } : {}),
    ...(typeof tokenHash === 'string' && tokenHash ? { tokenHash } : {}),
  };
  return notice.userId || notice.tokenHash ? notice : undefined;
}

export interface RevocationFeedOptions {
  redisUrl: string;
  onRevocation: (notice: TokenRevocationNotice) => void;
  logger: { warn(message: string): void; log(message: string): void };
}

/**
 * Subscribes to auth's revocation notices. An accelerator only: the token cache's one-second
 * lifetime bounds the delay without it, so Redis errors are logged, never thrown.
 */
export class RevocationFeed {
  private subscriber: Redis | undefined;
  private healthy = true;

  constructor(private readonly options: RevocationFeedOptions) {}

  start(): void {
    if (this.subscriber) return;
    const { redisUrl, logger, onRevocation } = this.options;
    const subscriber = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => {
      if (this.healthy)
        logger.warn(
          `Redis revocation notices unavailable (cached tokens still expire within 1 s): ${error.message}`,
        );
      this.healthy = false;
    });
    subscriber.on('ready', () => {
      if (!this.healthy) logger.log('Redis revocation notices available again');
      this.healthy = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== TOKEN_REVOCATIONS_CHANNEL) return;
      const notice = parseRevocationNotice(message);
      if (notice) onRevocation(notice);
    });
    // ioredis re-subscribes by itself after a reconnect.
    subscriber.subscribe(TOKEN_REVOCATIONS_CHANNEL).catch((error: unknown) => {
      logger.warn(
        `Redis subscribe to revocation notices failed (cached tokens still expire within 1 s): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    });
  }

  stop(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
