import 'reflect-metadata';

import { Module } from '@nestjs/common';

import { FlotillaConfigModule } from '@flotilla/platform/config';
import { bootstrapGrpcService } from '@flotilla/platform/grpc';

import { ExecutionModule } from '../execution.module';

/** The executor as its own process (configured by FLOTILLA_* env), for tests that pause or kill it. */
@Module({ imports: [FlotillaConfigModule, ExecutionModule] })
class ExecutorProcessModule {}

void bootstrapGrpcService('executor', ExecutorProcessModule);
