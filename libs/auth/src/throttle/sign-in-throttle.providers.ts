import { Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig, SignInThrottleConfig } from '@flotilla/platform/config';

import { UsersRepository } from '../persistence/users.repository';

import { DatabaseThrottleCounters } from './database-throttle-counters';
import { FailoverThrottleCounters } from './failover-throttle-counters';
import { RedisThrottleCounters, throttleRedisClient } from './redis-throttle-counters';
import { UsersTableSignInAccounts } from './sign-in-accounts';
import { SignInThrottle } from './sign-in-throttle';

/** The counters' own Redis connection (FLOTILLA_REDIS_URL), closed with the service. */
export class SignInThrottleRedis implements OnApplicationShutdown {
  readonly client: Redis | undefined;
  private readonly logger = new Logger('SignInThrottle');

  constructor(url: string | undefined) {
    this.client = url ? throttleRedisClient(url) : undefined;
    // Reported by the failover once when a sign-in finds Redis away; ioredis's own events would
    // repeat on every reconnect attempt.
    this.client?.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }

  /** Said once at start, so an operator sees where the counters live. */
  announce(): void {
    this.logger.log(
      this.client
        ? 'Sign-in throttling counts in Redis (the database while Redis is down)'
        : 'Sign-in throttling counts in the database (no FLOTILLA_REDIS_URL)',
    );
  }
}

/** The throttle over Redis (if given) with the database as its fallback. */
export function createSignInThrottle(
  dataSource: DataSource,
  users: UsersRepository,
  audit: AuditRecorder,
  settings: SignInThrottleConfig,
  redis?: { client: Redis; prefix?: string },
): SignInThrottle {
  const counters = new FailoverThrottleCounters(
    redis ? new RedisThrottleCounters(redis.client, redis.prefix) : undefined,
    new DatabaseThrottleCounters(dataSource),
    new Logger('SignInThrottle'),
  );
  return new SignInThrottle(
    counters,
    new UsersTableSignInAccounts(dataSource, users),
    dataSource,
    audit,
    settings,
  );
}

export const signInThrottleProviders: Provider[] = [
  {
    provide: SignInThrottleRedis,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig) => new SignInThrottleRedis(config.redisUrl),
  },
  {
    provide: SignInThrottle,
    inject: [DataSource, UsersRepository, AuditRecorder, FLOTILLA_CONFIG, SignInThrottleRedis],
    useFactory: (
      dataSource: DataSource,
      users: UsersRepository,
      audit: AuditRecorder,
      config: FlotillaConfig,
      redis: SignInThrottleRedis,
    ) => {
      redis.announce();
      return createSignInThrottle(
        dataSource,
        users,
        audit,
        config.signInThrottle,
        redis.client ? { client: redis.client } : undefined,
      );
    },
  },
];
