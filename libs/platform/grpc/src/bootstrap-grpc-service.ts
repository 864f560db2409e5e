import { INestMicroservice, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import type { FlotillaService } from '@flotilla/contracts';
import { loadFlotillaConfig } from '@flotilla/platform/config';

import { grpcOptions } from './grpc-options';

/**
 * Starts a Nest gRPC microservice for one Flotilla service and stops it cleanly on SIGINT/SIGTERM.
 * A configuration error ends the process with the message naming the bad variables.
 */
export async function bootstrapGrpcService(
  service: FlotillaService,
  appModule: Type,
): Promise<INestMicroservice> {
  const logger = new Logger(`flotilla-${service}`);
  const config = loadFlotillaConfig();
  const app = await NestFactory.createMicroservice(appModule, {
    ...grpcOptions(service, config.grpcListen[service]),
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen();
  logger.log(`${service} listening for gRPC on ${config.grpcListen[service]} (node ${config.nodeName})`);
  return app;
}
