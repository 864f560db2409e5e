import { Module } from '@nestjs/common';

import { AuditEventRepository } from './audit-event.repository';
import { AuditTrailController } from './audit-trail.controller';
import { AuditTrailService } from './audit-trail.service';

/** The audit service's gRPC handler; needs a global `DataSource` (DatabaseModule) over AuditTrailEntities. */
@Module({
  controllers: [AuditTrailController],
  providers: [AuditEventRepository, AuditTrailService],
})
export class AuditTrailModule {}
