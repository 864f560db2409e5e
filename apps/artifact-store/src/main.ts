import 'reflect-metadata';

import { bootstrapGrpcService } from '@flotilla/platform/grpc';

import { AppModule } from './app.module';

bootstrapGrpcService('artifacts', AppModule).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
