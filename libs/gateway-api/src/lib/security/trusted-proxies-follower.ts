import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Redis } from 'ioredis';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { ClientIpResolver } from './client-ip-resolver';

/**
 * Redis channel on which auth says the trusted proxies changed: TRUSTED_PROXIES_CHANNEL in
 * libs/auth's trusted-proxies.service.ts (the gateway does not import the auth lib).
 */
export const TRUSTED_PROXIES_CHANNEL = 'flotilla:settings:trusted-proxies';
/** How often every gateway reads the setting without a notice (FLOTILLA_TRUSTED_PROXIES_REFRESH_MS). */
export const DEFAULT_TRUSTED_PROXIES_REFRESH_MS = 5_000;

function refreshMs(): number {
  const value = Number(
    process.env['FLOTILLA_TRUSTED_PROXIES_REFRESH_MS'] ?? DEFAULT_TRUSTED_PROXIES_REFRESH_MS,
  );
  return Number.isInteger(value) && value >= 100 ? value : DEFAULT_TRUSTED_PROXIES_REFRESH_MS;
}

/**
 * Keeps this gateway's trusted proxies those of the cluster setting, within seconds of a change and
 * without a restart: it reads the setting from auth at start, every few seconds, and at once on a
 * Redis notice (where Redis is configured). Until its first answer, and while auth cannot answer,
 * the gateway keeps what it has: FLOTILLA_TRUSTED_PROXIES at start, then the last answer.
 */
@Injectable()
export class TrustedProxiesFollower implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TrustedProxies');
  private timer: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;
  private failing = false;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly backends: BackendClients,
    private readonly resolver: ClientIpResolver,
    @Optional() @Inject(FLOTILLA_CONFIG) private readonly config?: Pick<FlotillaConfig, 'redisUrl'>,
  ) {}

  onModuleInit(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), refreshMs());
    this.timer.unref();
    const redisUrl = this.config?.redisUrl;
    if (redisUrl) this.subscribe(redisUrl);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscriber?.disconnect();
  }

  /** Reads the setting from auth and applies it; never throws. One read at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async read(): Promise<void> {
    try {
      const reply = await unary(
        this.backends.auth.getTrustedProxies({}, identityToMetadata(systemIdentity('gateway'))),
      );
      const before = this.resolver.trustedProxies.join(',');
      this.resolver.useTrustedProxies(reply.entries);
      if (before !== reply.entries.join(','))
        this.logger.log(`Trusting ${reply.entries.join(', ') || 'no proxy'} (${reply.source})`);
      if (this.failing) this.logger.log('Trusted proxies readable from auth again');
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          `Trusted proxies not read from auth (keeping ${this.resolver.trustedProxies.join(', ') || 'none'}): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      this.failing = true;
    }
  }

  private subscribe(redisUrl: string): void {
    const subscriber = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    // The message carries nothing to trust: it only says "read the setting now".
    subscriber.on('message', (channel: string) => {
      if (channel === TRUSTED_PROXIES_CHANNEL) void this.refresh();
    });
    subscriber.subscribe(TRUSTED_PROXIES_CHANNEL).catch((error: unknown) => {
      this.logger.warn(
        `Redis subscribe to trusted proxies notices failed (refreshing every ${refreshMs()} ms anyway): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    });
  }
}
