import * as grpc from '@grpc/grpc-js';
import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { FlotillaConfigModule } from '@flotilla/platform/config';
import {
  CallerIdentity,
  clientChannelOptions,
  clientCredentials,
  grpcOptions,
  identityToMetadata,
  serviceCertificate,
} from '@flotilla/platform/grpc';
import { DatabaseModule } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, freePort, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { OrchestrationModule } from '../orchestration.module';
import { serviceConstructor, startGrpcDouble, unaryCall } from './grpc-test-doubles';

@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'orchestrator-scope-spec', entities: OrchestrationEntities }),
    OrchestrationModule,
  ],
})
class OrchestratorOverGrpcModule {}

/** The orchestrator on a real gRPC port over a migrated test database, called as the gateway. */
export interface OrchestratorOverGrpc {
  /**
   * Calls `method` as the gateway for `caller`: the jest setup's minter signs the caller token
   * from the identity, grants included, as the gateway does.
   */
  call<T>(caller: CallerIdentity, method: string, request: object): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts it as `nodeName`'s orchestrator (a node the test PKI issued certificates for: 'wire-node'),
 * with an artifact store that knows no package and an audit service that accepts every
 * event (the scope specs use script steps only and do not read the trail).
 */
export async function startOrchestratorOverGrpc(nodeName: string): Promise<OrchestratorOverGrpc> {
  const db: MigratedTestDatabase = await createMigratedTestDatabase({
    entities: OrchestrationEntities,
    migrations: OrchestrationMigrations,
  });
  const artifacts = await startGrpcDouble('artifacts', {});
  const audit = await startGrpcDouble('audit', {
    Record: (
      callObject: grpc.ServerUnaryCall<{ events: unknown[] }, unknown>,
      callback: grpc.sendUnaryData<object>,
    ) => callback(null, { recorded: callObject.request.events.length }),
  });
  const listen = `127.0.0.1:${await freePort()}`;
  let app: INestMicroservice;
  try {
    Object.assign(process.env, {
      FLOTILLA_DB_DIALECT: db.dialect,
      FLOTILLA_DB_URL: db.url,
      FLOTILLA_NODE_NAME: nodeName,
      FLOTILLA_ORCHESTRATOR_GRPC_LISTEN: listen,
      FLOTILLA_ARTIFACTS_GRPC_URL: artifacts.url,
      FLOTILLA_AUDIT_GRPC_URL: audit.url,
    });
    delete process.env['FLOTILLA_REDIS_URL'];
    app = await NestFactory.createMicroservice(OrchestratorOverGrpcModule, {
      ...grpcOptions('orchestrator', listen),
      // Errors only: an "Internal server error" answer must say in the output what threw (the
      // scope contract spec failed once so on Babelfish in CI, and never in runs here).
      logger: ['error'],
    });
    await app.listen();
  } catch (error) {
    // Nothing is left running to keep jest from exiting.
    await artifacts.stop();
    await audit.stop();
    await db.dispose();
    throw error;
  }
  const Orchestrator = serviceConstructor('orchestrator');
  const client = new Orchestrator(
    listen,
    clientCredentials(serviceCertificate()),
    clientChannelOptions('orchestrator'),
  );
  return {
    call: <T>(caller: CallerIdentity, method: string, request: object) =>
      unaryCall<T>(client, method, request, identityToMetadata(caller)),
    async stop() {
      client.close();
      await app.close();
      await artifacts.stop();
      await audit.stop();
      await db.dispose();
    },
  };
}
