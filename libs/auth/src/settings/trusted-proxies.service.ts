import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import type { AuditRecorder } from '@flotilla/audit/outbox';
import type { authV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { sqlFor } from '../persistence/db-clock';
import { requirePermission } from '../principal/principal';
import { ClusterSettingEntity } from './cluster-setting.entity';
import { canonicalTrustedProxies, InvalidTrustedProxies } from './trusted-proxy-entries';

/** The setting's row name in cluster_settings. */
export const TRUSTED_PROXIES_SETTING = 'trusted-proxies';

/**
 * Redis channel on which auth tells every gateway the trusted proxies changed. The gateway holds
 * the same name (libs/gateway-api's trusted-proxies-follower.ts) and reads the setting from auth
 * on a notice: the message carries nothing to trust.
 */
export const TRUSTED_PROXIES_CHANNEL = 'flotilla:settings:trusted-proxies';

/** Tells the gateways the setting changed; never throws (they refresh every few seconds anyway). */
export interface TrustedProxiesNotices {
  changed(): Promise<void>;
}

export class NoTrustedProxiesNotices implements TrustedProxiesNotices {
  async changed(): Promise<void> {}
}

const PUBLISH_TIMEOUT_MS = 500;

export class RedisTrustedProxiesNotices implements TrustedProxiesNotices, OnApplicationShutdown {
  private readonly logger = new Logger(RedisTrustedProxiesNotices.name);
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => undefined);
  }

  async changed(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.publish(TRUSTED_PROXIES_CHANNEL, 'changed'),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PUBLISH_TIMEOUT_MS} ms`)),
            PUBLISH_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      this.logger.warn(
        `Trusted proxies notice not published (gateways refresh within their interval anyway): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function toReply(row: ClusterSettingEntity | null, defaults: readonly string[]): authV1.TrustedProxies {
  if (!row) return { entries: [...defaults], source: 'environment', updatedAt: '', updatedBy: '' };
  return {
    entries: JSON.parse(row.value) as string[],
    source: 'setting',
    updatedAt: new Date(row.updatedAt).toISOString(),
    updatedBy: row.updatedBy,
  };
}

/**
 * The trusted proxies as a cluster-wide setting. Precedence: once changed through the API, the
 * stored list (even an empty one) holds on every gateway; until then, FLOTILLA_TRUSTED_PROXIES of
 * the auth service is the default every gateway is told (and each gateway's own variable holds
 * until its first answer from auth). Every change is audited with the old and new lists.
 */
export class TrustedProxiesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditRecorder,
    private readonly notices: TrustedProxiesNotices,
    /** FLOTILLA_TRUSTED_PROXIES, canonical. */
    private readonly defaults: readonly string[],
  ) {}

  async get(): Promise<authV1.TrustedProxies> {
    return toReply(await this.read(this.dataSource.manager), this.defaults);
  }

  async set(caller: CallerIdentity, entries: readonly string[]): Promise<authV1.TrustedProxies> {
    requirePermission(caller, Permission.AdministerSystem);
    let canonical: string[];
    try {
      canonical = canonicalTrustedProxies(entries);
    } catch (error) {
      if (error instanceof InvalidTrustedProxies) throw RpcErrors.invalidArgument(error.message);
      throw error;
    }
    const stored = await this.dataSource.transaction(async (manager) => {
      const before = toReply(await this.read(manager), this.defaults);
      const now = sqlFor(manager).now;
      const values = { value: JSON.stringify(canonical), updatedBy: caller.username || caller.userId };
      const updated = await manager
        .createQueryBuilder()
        .update(ClusterSettingEntity)
        .set({ ...values, updatedAt: () => now })
        .where('name = :name', { name: TRUSTED_PROXIES_SETTING })
        .execute();
      if (!updated.affected) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(ClusterSettingEntity)
          .values({ name: TRUSTED_PROXIES_SETTING, ...values, updatedAt: () => now })
          .execute();
      }
      await this.audit.record(manager, {
        actor: caller,
        action: 'settings.trusted-proxies-changed',
        resourceType: 'Setting',
        resourceId: TRUSTED_PROXIES_SETTING,
        details: { old: before.entries, oldSource: before.source, new: canonical },
      });
      return this.read(manager);
    });
    await this.notices.changed();
    return toReply(stored, this.defaults);
  }

  private read(manager: EntityManager): Promise<ClusterSettingEntity | null> {
    return manager.findOne(ClusterSettingEntity, { where: { name: TRUSTED_PROXIES_SETTING } });
  }
}

/** The environment's list in canonical form; an entry that is not valid is left out with a warning. */
export function defaultTrustedProxies(fromEnvironment: readonly string[]): string[] {
  try {
    return canonicalTrustedProxies(fromEnvironment);
  } catch (error) {
    new Logger(TrustedProxiesService.name).warn(
      `FLOTILLA_TRUSTED_PROXIES: ${error instanceof Error ? error.message : String(error)}; trusting none by default`,
    );
    return [];
  }
}
