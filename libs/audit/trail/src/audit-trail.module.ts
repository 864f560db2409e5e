import { Module } from '@nestjs/common';

import { AuditEventRepository } from './audit-event.repository';
import { AuditTrailController } from './audit-trail.controller';
import { AuditArchiveController } from './archive/audit-archive.controller';
import { AUDIT_ARCHIVE_PROVIDERS } from './archive/audit-archive.providers';
import { AuditExportController } from './export/audit-export.controller';
import { AuditExporter } from './export/audit-exporter';
import { TrailReadRecorder } from './export/trail-read-recorder';
import { AuditTrailHealthController } from './health/audit-trail-health.controller';
import { AuditRefusalStore } from './refusals/audit-refusal.store';
import {
  AUDIT_STREAMING_CONTROLLERS,
  AUDIT_STREAMING_PROVIDERS,
} from './streaming/audit-streaming.providers';
import { AuditTrailService } from './audit-trail.service';
import { AuditCheckpointWriter } from './chain/audit-checkpoint-writer';
import {
  AUDIT_CHAIN_KEY,
  AUDIT_TRAIL_KEYS,
  type AuditTrailKeys,
  loadAuditTrailKeys,
} from './chain/audit-trail-keys';

/**
 * The audit service's gRPC handler; needs a global `DataSource` (DatabaseModule) over
 * AuditTrailEntities, FLOTILLA_CONFIG, and the cluster's audit keys in FLOTILLA_PKI_DIR (read once
 * at start). Also signs the chain's checkpoints (AuditCheckpointWriter).
 */
@Module({
  controllers: [
    AuditTrailController,
    AuditTrailHealthController,
    AuditExportController,
    ...AUDIT_STREAMING_CONTROLLERS,
    AuditArchiveController,
  ],
  providers: [
    { provide: AUDIT_TRAIL_KEYS, useFactory: () => loadAuditTrailKeys() },
    {
      provide: AUDIT_CHAIN_KEY,
      useFactory: (keys: AuditTrailKeys) => keys.chainKey,
      inject: [AUDIT_TRAIL_KEYS],
    },
    AuditEventRepository,
    AuditTrailService,
    AuditCheckpointWriter,
    AuditRefusalStore,
    TrailReadRecorder,
    AuditExporter,
    ...AUDIT_STREAMING_PROVIDERS,
    ...AUDIT_ARCHIVE_PROVIDERS,
  ],
})
export class AuditTrailModule {}
