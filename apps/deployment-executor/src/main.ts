import 'reflect-metadata';

import { bootstrapGrpcService } from '@flotilla/platform/grpc';

import { AppModule } from './app.module';

void bootstrapGrpcService('executor', AppModule);
