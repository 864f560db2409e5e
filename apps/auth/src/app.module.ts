import { Module } from '@nestjs/common';

import { AuthEntities, AuthModule } from '@flotilla/auth';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import { DatabaseModule } from '@flotilla/platform/persistence';

/** The auth service process: configuration, its own tables, and the auth feature. */
@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'auth', entities: AuthEntities }),
    AuthModule,
  ],
})
export class AppModule {}
