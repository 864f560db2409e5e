import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import {
  defaultTrustedProxies,
  NoTrustedProxiesNotices,
  RedisTrustedProxiesNotices,
  TrustedProxiesService,
} from './trusted-proxies.service';

export const TRUSTED_PROXIES_NOTICES = Symbol('TRUSTED_PROXIES_NOTICES');

/** The trusted proxies setting: its store and, with Redis, the notice to every gateway. */
export const trustedProxiesProviders: Provider[] = [
  {
    provide: TRUSTED_PROXIES_NOTICES,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig) =>
      config.redisUrl ? new RedisTrustedProxiesNotices(config.redisUrl) : new NoTrustedProxiesNotices(),
  },
  {
    provide: TrustedProxiesService,
    inject: [DataSource, AuditRecorder, TRUSTED_PROXIES_NOTICES, FLOTILLA_CONFIG],
    useFactory: (
      dataSource: DataSource,
      audit: AuditRecorder,
      notices: RedisTrustedProxiesNotices | NoTrustedProxiesNotices,
      config: FlotillaConfig,
    ) => new TrustedProxiesService(dataSource, audit, notices, defaultTrustedProxies(config.trustedProxies)),
  },
];
