import { Module } from '@nestjs/common';

import { AuditTrailEntities, AuditTrailModule } from '@flotilla/audit/trail';
import { NodeHeartbeatModule } from '@flotilla/cluster/heartbeat';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import { DatabaseModule } from '@flotilla/platform/persistence';

@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'audit', entities: AuditTrailEntities }),
    AuditTrailModule,
    NodeHeartbeatModule.register('audit'),
  ],
})
export class AppModule {}
