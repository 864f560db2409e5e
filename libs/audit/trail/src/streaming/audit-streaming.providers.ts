import type { Provider, Type } from '@nestjs/common';

import { AUDIT_TRAIL_KEYS, type AuditTrailKeys } from '../chain/audit-trail-keys';

import { AuditStreamDeliverer } from './audit-stream-deliverer';
import { AuditStreamRepository } from './audit-stream.repository';
import { AUDIT_STREAM_SECRETS } from './audit-stream.tokens';
import { AuditStreamsController } from './audit-streams.controller';
import { AuditStreamsService } from './audit-streams.service';
import { AUDIT_STREAM_SETTINGS, readAuditStreamSettings } from './stream-settings';
import { StreamSecrets } from './stream-secrets';

/** Streaming's providers for AuditTrailModule (which provides AUDIT_TRAIL_KEYS and the event repository). */
export const AUDIT_STREAMING_PROVIDERS: Provider[] = [
  { provide: AUDIT_STREAM_SETTINGS, useFactory: () => readAuditStreamSettings() },
  {
    provide: AUDIT_STREAM_SECRETS,
    useFactory: (keys: AuditTrailKeys) => new StreamSecrets(keys.chainKey),
    inject: [AUDIT_TRAIL_KEYS],
  },
  AuditStreamRepository,
  AuditStreamsService,
  AuditStreamDeliverer,
];

export const AUDIT_STREAMING_CONTROLLERS: Type[] = [AuditStreamsController];
