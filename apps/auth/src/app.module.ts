import { Module } from '@nestjs/common';

import { AuthEntities, AuthModule } from '@flotilla/auth';
import { NodeHeartbeatModule } from '@flotilla/cluster/heartbeat';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import { DatabaseModule } from '@flotilla/platform/persistence';

/** The auth service process: configuration, its own tables, and the auth feature. */
@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'auth', entities: AuthEntities }),
    AuthModule,
    NodeHeartbeatModule.register('auth'),
  ],
})
export class AppModule {}
