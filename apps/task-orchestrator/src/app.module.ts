import { Module } from '@nestjs/common';

import { OrchestrationEntities, OrchestrationModule } from '@flotilla/orchestration';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import { DatabaseModule } from '@flotilla/platform/persistence';

@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'task-orchestrator', entities: OrchestrationEntities }),
    OrchestrationModule,
  ],
})
export class AppModule {}
