import { Client, Metadata, MethodDefinition, ServiceDefinition, ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

import {
  addAuditOutboxForwardedFor,
  addAuditOutboxProvenance,
  auditOutboxTable,
  auditOutboxEntity,
  createAuditOutboxTable,
  dropAuditOutboxForwardedFor,
  dropAuditOutboxTable,
} from '@flotilla/audit/outbox';
import { auditV1, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { FLOTILLA_CONFIG } from '@flotilla/platform/config';
import {
  clientChannelOptions,
  clientCredentials,
  grpcOptions,
  PROTO_LOADER_OPTIONS,
  serviceCertificate,
} from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, freePort, MigratedTestDatabase } from '@flotilla/testing';

import { AuditTrailModule, AuditTrailEntities, AuditTrailMigrations } from './index';

/** A producing service's outbox in the same test database, as its own first migration would create it. */
/**
 * Creating a database and running migrations reads the catalogue table by table: seconds on
 * PostgreSQL, up to a minute on Babelfish on a busy 2-core machine. The jest default (30 s) would
 * fail on load, not on a defect; the hook that migrates gets this instead.
 */
export const MIGRATION_RUN_MS = 120_000;

class CreateProducerOutbox1764200000298 implements MigrationInterface {
  name = 'CreateProducerOutbox1764200000298';
  up = (runner: QueryRunner) => createAuditOutboxTable(runner, 'producer');
  down = (runner: QueryRunner) => dropAuditOutboxTable(runner, 'producer');
}

class AddProducerOutboxForwardedFor1764200000299 implements MigrationInterface {
  name = 'AddProducerOutboxForwardedFor1764200000299';
  up = async (runner: QueryRunner) => {
    await addAuditOutboxForwardedFor(runner, 'producer');
    // And the provenance columns (a producing service adds them in a migration of its own).
    await addAuditOutboxProvenance(runner, auditOutboxTable('producer'));
  };
  down = (runner: QueryRunner) => dropAuditOutboxForwardedFor(runner, 'producer');
}

@Module({})
class SpecDatabaseModule {
  static over(dataSource: DataSource): DynamicModule {
    return {
      module: SpecDatabaseModule,
      global: true,
      providers: [
        { provide: DataSource, useValue: dataSource },
        // What the audit service reads of the configuration: its checkpoint interval and node.
        { provide: FLOTILLA_CONFIG, useValue: { auditCheckpointMs: 300_000, nodeName: 'node-spec' } },
      ],
      exports: [DataSource, FLOTILLA_CONFIG],
    };
  }
}

@Module({})
class SpecAuditAppModule {
  static over(dataSource: DataSource): DynamicModule {
    return { module: SpecAuditAppModule, imports: [SpecDatabaseModule.over(dataSource), AuditTrailModule] };
  }
}

/** A plain grpc-js client for AuditService, loaded from the same .proto as the server. */
export class AuditGrpcClient {
  private readonly client: Client;
  private readonly service: ServiceDefinition;

  constructor(url: string) {
    const definition = loadSync(join(PROTO_ROOT, SERVICE_CONTRACTS.audit.protoFile), PROTO_LOADER_OPTIONS);
    this.service = definition[
      `${SERVICE_CONTRACTS.audit.packageName}.${SERVICE_CONTRACTS.audit.serviceName}`
    ] as ServiceDefinition;
    this.client = new Client(url, clientCredentials(serviceCertificate()), clientChannelOptions('audit'));
  }

  record(events: auditV1.AuditEvent[], metadata: Metadata): Promise<auditV1.RecordEventsReply> {
    return this.unary('Record', { events }, metadata);
  }

  query(request: Partial<auditV1.QueryEventsRequest>, metadata: Metadata): Promise<auditV1.EventPage> {
    return this.unary('Query', request, metadata);
  }

  verify(metadata: Metadata): Promise<auditV1.TrailVerification> {
    return this.unary('Verify', {}, metadata);
  }

  health(metadata: Metadata): Promise<auditV1.TrailHealth> {
    return this.unary('Health', {}, metadata);
  }

  close(): void {
    this.client.close();
  }

  private unary<Request, Reply>(method: string, request: Request, metadata: Metadata): Promise<Reply> {
    const rpc = this.service[method] as MethodDefinition<Request, Reply>;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        rpc.path,
        rpc.requestSerialize,
        rpc.responseDeserialize,
        request,
        metadata,
        (error, reply) => {
          if (error || reply === undefined) reject(error ?? new Error('empty reply'));
          else resolve(reply);
        },
      );
    });
  }
}

export function grpcFailure(promise: Promise<unknown>): Promise<Pick<ServiceError, 'code' | 'details'>> {
  return promise.then(
    () => ({ code: status.OK, details: 'succeeded unexpectedly' }),
    (error: ServiceError) => ({ code: error.code, details: error.details }),
  );
}

/** A migrated test database (the trail and a "producer" outbox) and the audit service on it, over real gRPC. */
export interface AuditGrpcFixture {
  db: MigratedTestDatabase;
  client: AuditGrpcClient;
  dispose(): Promise<void>;
}

export async function startAuditGrpcService(): Promise<AuditGrpcFixture> {
  const db = await createMigratedTestDatabase({
    entities: [...AuditTrailEntities, auditOutboxEntity('producer')],
    migrations: [
      ...AuditTrailMigrations,
      CreateProducerOutbox1764200000298,
      AddProducerOutboxForwardedFor1764200000299,
    ],
  });
  const url = `127.0.0.1:${await freePort()}`;
  const app: INestMicroservice = await NestFactory.createMicroservice(
    SpecAuditAppModule.over(db.dataSource),
    {
      ...grpcOptions('audit', url),
      logger: false,
    },
  );
  await app.listen();
  const client = new AuditGrpcClient(url);
  return {
    db,
    client,
    dispose: async () => {
      client.close();
      await app.close();
      await db.dispose();
    },
  };
}
