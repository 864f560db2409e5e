import { Module } from '@nestjs/common';

import { AuditEventRepository } from './audit-event.repository';
import { AuditTrailController } from './audit-trail.controller';
import { AuditTrailService } from './audit-trail.service';
import { AUDIT_CHAIN_KEY, loadAuditChainKey } from './chain/audit-chain-key';

/**
 * The audit service's gRPC handler; needs a global `DataSource` (DatabaseModule) over
 * AuditTrailEntities, and the cluster's chain key in FLOTILLA_PKI_DIR (read once at start).
 */
@Module({
  controllers: [AuditTrailController],
  providers: [
    { provide: AUDIT_CHAIN_KEY, useFactory: () => loadAuditChainKey() },
    AuditEventRepository,
    AuditTrailService,
  ],
})
export class AuditTrailModule {}
