import { Module } from '@nestjs/common';

import { ExecutionModule } from '@flotilla/execution';
import { FlotillaConfigModule } from '@flotilla/platform/config';

/**
 * deployment-executor: claims and runs deployment tasks and serves their logs. ExecutionModule
 * registers its own orchestrator and artifact-store gRPC clients (a Nest module only sees the
 * providers of modules it imports itself).
 */
@Module({ imports: [FlotillaConfigModule, ExecutionModule] })
export class AppModule {}
