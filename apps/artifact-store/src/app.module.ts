import { Module } from '@nestjs/common';

import { ArtifactsEntities, ArtifactsModule } from '@flotilla/artifacts';
import { NodeHeartbeatModule } from '@flotilla/cluster/heartbeat';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import { DatabaseModule } from '@flotilla/platform/persistence';

/**
 * The artifact-store process: configuration, its own tables and the package feed. The feed
 * creates the shared-storage folders when it starts.
 */
@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'artifact-store', entities: ArtifactsEntities }),
    ArtifactsModule,
    NodeHeartbeatModule.register('artifact-store'),
  ],
})
export class AppModule {}
