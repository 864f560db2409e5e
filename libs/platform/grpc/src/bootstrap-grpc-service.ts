import { INestMicroservice, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import type { FlotillaService } from '@flotilla/contracts';
import { loadFlotillaConfig } from '@flotilla/platform/config';

import { grpcExceptionFilters } from './database-unavailable.filter';
import { GracefulGrpcServer } from './graceful-grpc-server';
import { grpcOptions } from './grpc-options';
import { declareProcessIdentity, serviceCertificate } from './service-certificates';

/**
 * Starts a Nest gRPC microservice for one Flotilla service and stops it cleanly on SIGINT/SIGTERM:
 * Nest's shutdown hooks run first (the executor drains there, still serving), then the server stops
 * taking calls and lets those in flight finish (GracefulGrpcServer), then the database closes.
 * Database outages reach callers as UNAVAILABLE (grpcExceptionFilters). gRPC is mutual TLS with the
 * service's certificate from FLOTILLA_PKI_DIR (see grpcOptions). A configuration error ends
 * the process with the message naming the bad variables.
 */
export async function bootstrapGrpcService(
  service: FlotillaService,
  appModule: Type,
): Promise<INestMicroservice> {
  const logger = new Logger(`flotilla-${service}`);
  const config = loadFlotillaConfig();
  // Its clients (audit outbox, heartbeats...) present this service's certificate too.
  declareProcessIdentity(service);
  const certificate = serviceCertificate(service, { node: config.nodeName });
  const app = await NestFactory.createMicroservice(appModule, {
    strategy: new GracefulGrpcServer(
      grpcOptions(service, config.grpcListen[service], certificate).options,
      undefined,
      service,
    ),
    logger: ['error', 'warn', 'log'],
  });
  app.useGlobalFilters(...grpcExceptionFilters());
  app.enableShutdownHooks();
  await app.listen();
  logger.log(
    `${service} listening for gRPC (mutual TLS) on ${config.grpcListen[service]} (node ${config.nodeName})`,
  );
  return app;
}
