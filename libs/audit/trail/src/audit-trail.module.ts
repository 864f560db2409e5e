import { Module } from '@nestjs/common';

import { AuditEventRepository } from './audit-event.repository';
import { AuditTrailController } from './audit-trail.controller';
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
  controllers: [AuditTrailController],
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
  ],
})
export class AuditTrailModule {}
