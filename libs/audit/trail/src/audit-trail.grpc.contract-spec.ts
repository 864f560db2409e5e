import { Client, Metadata, MethodDefinition, ServiceDefinition, ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

import {
  addAuditOutboxForwardedFor,
  AuditOutboxRelay,
  AuditRecorder,
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
  FORWARDED_FOR_MAX_LENGTH,
  grpcOptions,
  identityToMetadata,
  PROTO_LOADER_OPTIONS,
  serviceCertificate,
  systemIdentity,
} from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, freePort, MigratedTestDatabase } from '@flotilla/testing';

import { AuditTrailModule, AuditTrailEntities, AuditTrailMigrations, EVENT_VIEW } from './index';

/** A producing service's outbox in the same test database, as its own first migration would create it. */
/**
 * Creating a database and running migrations reads the catalogue table by table: seconds on
 * PostgreSQL, up to a minute on Babelfish on a busy 2-core machine. The jest default (30 s) would
 * fail on load, not on a defect; the hook that migrates gets this instead.
 */
const MIGRATION_RUN_MS = 120_000;

class CreateProducerOutbox1764200000298 implements MigrationInterface {
  name = 'CreateProducerOutbox1764200000298';
  up = (runner: QueryRunner) => createAuditOutboxTable(runner, 'producer');
  down = (runner: QueryRunner) => dropAuditOutboxTable(runner, 'producer');
}

class AddProducerOutboxForwardedFor1764200000299 implements MigrationInterface {
  name = 'AddProducerOutboxForwardedFor1764200000299';
  up = (runner: QueryRunner) => addAuditOutboxForwardedFor(runner, 'producer');
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
class AuditGrpcClient {
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

function grpcFailure(promise: Promise<unknown>): Promise<Pick<ServiceError, 'code' | 'details'>> {
  return promise.then(
    () => ({ code: status.OK, details: 'succeeded unexpectedly' }),
    (error: ServiceError) => ({ code: error.code, details: error.details }),
  );
}

describe(`${AuditTrailModule.name} over gRPC`, () => {
  let db: MigratedTestDatabase;
  let app: INestMicroservice;
  let client: AuditGrpcClient;
  const auditor = identityToMetadata({
    userId: 'u9',
    username: 'auditor',
    clientIp: '198.51.100.4',
    permissions: ['ProjectView', EVENT_VIEW],
  });
  const producer = identityToMetadata(systemIdentity('producer'));

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: [...AuditTrailEntities, auditOutboxEntity('producer')],
      migrations: [
        ...AuditTrailMigrations,
        CreateProducerOutbox1764200000298,
        AddProducerOutboxForwardedFor1764200000299,
      ],
    });
    const url = `127.0.0.1:${await freePort()}`;
    app = await NestFactory.createMicroservice(SpecAuditAppModule.over(db.dataSource), {
      ...grpcOptions('audit', url),
      logger: false,
    });
    await app.listen();
    client = new AuditGrpcClient(url);
  }, MIGRATION_RUN_MS);

  afterAll(async () => {
    client.close();
    await app.close();
    await db.dispose();
  });

  it('receives a producer outbox through the real relay, storing an event delivered twice once', async () => {
    const recorder = new AuditRecorder('producer');
    const actor = { userId: 'u1', username: 'Alice', clientIp: '192.0.2.7', permissions: [] };
    await db.dataSource.transaction(async (manager) => {
      await recorder.record(manager, {
        actor,
        action: 'project.created',
        resourceType: 'Project',
        resourceId: 'p1',
        details: { name: 'Web' },
      });
      await recorder.record(manager, {
        actor,
        action: 'project.updated',
        resourceType: 'Project',
        resourceId: 'p1',
      });
      await recorder.record(manager, {
        actor,
        action: 'environment.created',
        resourceType: 'Environment',
        resourceId: 'e1',
      });
    });

    // The first delivery is stored but its reply is "lost", so the relay keeps the rows and resends.
    const recordedPerDelivery: number[] = [];
    let loseReply = true;
    const sut = new AuditOutboxRelay(db.dataSource, 'producer', async (events) => {
      const reply = await client.record(events, producer);
      recordedPerDelivery.push(reply.recorded);
      if (loseReply) {
        loseReply = false;
        throw new Error('reply lost');
      }
    });

    await expect(sut.flush()).rejects.toThrow('reply lost');
    await expect(sut.flush()).resolves.toBe(3);
    await expect(sut.flush()).resolves.toBe(0);
    expect(recordedPerDelivery).toEqual([3, 0]);

    const page = await client.query({ actor: 'alice', take: 10 }, auditor);
    expect(page.items).toHaveLength(3);
    expect(page.nextCursor).toBe('');
    expect(page.items.map((item) => item.action).sort()).toEqual([
      'environment.created',
      'project.created',
      'project.updated',
    ]);
    expect(page.items.find((item) => item.action === 'project.created')).toMatchObject({
      actorId: 'u1',
      actorName: 'Alice',
      resourceType: 'Project',
      resourceId: 'p1',
      details: '{"name":"Web"}',
      clientIp: '192.0.2.7',
      source: 'producer',
    });
    const projectEvents = await client.query({ action: 'project.*' }, auditor);
    expect(projectEvents).toMatchObject({ take: 30, nextCursor: '' });
    expect(projectEvents.items).toHaveLength(2);
  });

  it('carries the client origin from an outbox to the trail over gRPC: a valid IP and the bounded raw header', async () => {
    const recorder = new AuditRecorder('producer');
    const header = `${'203.0.113.77, '.repeat(150)}<script>x</script>`;
    await db.dataSource.transaction(async (manager) => {
      await recorder.record(manager, {
        actor: { ...systemIdentity('producer'), clientIp: '203.0.113.77', forwardedFor: header },
        action: 'origin.long-header',
        resourceType: 'Spec',
        resourceId: 'o1',
      });
      await recorder.record(manager, {
        actor: { ...systemIdentity('producer'), clientIp: '<script>x</script>' },
        action: 'origin.script',
        resourceType: 'Spec',
        resourceId: 'o2',
      });
    });
    await new AuditOutboxRelay(db.dataSource, 'producer', async (events) => {
      await client.record(events, producer);
    }).flush();

    const page = await client.query({ action: 'origin.*' }, auditor);
    const byAction = new Map(page.items.map((item) => [item.action, item]));
    expect(byAction.get('origin.long-header')?.clientIp).toBe('203.0.113.77');
    expect(byAction.get('origin.long-header')?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(byAction.get('origin.long-header')?.forwardedFor).toMatch(
      new RegExp(`^(203\\.0\\.113\\.77, )+.*\\.\\.\\.\\[cut, ${header.length} characters\\]\\.\\.\\.`),
    );
    expect(byAction.get('origin.script')).toMatchObject({ clientIp: '', forwardedFor: '<script>x</script>' });
  });

  it('answers PERMISSION_DENIED without EventView and INVALID_ARGUMENT naming the bad field', async () => {
    await expect(grpcFailure(client.query({}, producer))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(grpcFailure(client.query({ to: 'soon' }, auditor))).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'to: must be an ISO-8601 date or timestamp with a time zone',
    });
    const bad = {
      id: 'nope',
      occurredAt: '2025-03-01T00:00:00Z',
      action: 'x',
      resourceType: 'y',
    } as auditV1.AuditEvent;
    await expect(grpcFailure(client.record([bad], producer))).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'events[0].id: must be a UUID',
    });
  });

  it("verifies the chain for an EventView caller against the checkpoint the module's writer signed at start", async () => {
    await expect(grpcFailure(client.verify(producer))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const verification = await client.verify(auditor);
    expect(verification).toMatchObject({ intact: true, breakKind: '', breakMessage: '' });
    // Loaded by @grpc/proto-loader with longs as numbers; the events the tests above stored are chained.
    expect(Number(verification.headSequence)).toBeGreaterThan(0);
    expect(Number(verification.verifiedEvents)).toBe(Number(verification.headSequence));
    expect(verification.checkpointSignedAt).not.toBe('');
  });
});
