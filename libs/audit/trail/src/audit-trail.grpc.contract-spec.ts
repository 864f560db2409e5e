import { status } from '@grpc/grpc-js';

import { AuditOutboxRelay, AuditRecorder } from '@flotilla/audit/outbox';
import { auditV1 } from '@flotilla/contracts';
import { FORWARDED_FOR_MAX_LENGTH, identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';
import { MigratedTestDatabase } from '@flotilla/testing';

import {
  AuditGrpcClient,
  AuditGrpcFixture,
  grpcFailure,
  MIGRATION_RUN_MS,
  startAuditGrpcService,
} from './audit-grpc.test-support';
import { AuditTrailModule, EVENT_VIEW } from './index';

describe(`${AuditTrailModule.name} over gRPC`, () => {
  let fixture: AuditGrpcFixture;
  let db: MigratedTestDatabase;
  let client: AuditGrpcClient;
  const auditor = identityToMetadata({
    userId: 'u9',
    username: 'auditor',
    clientIp: '198.51.100.4',
    permissions: ['ProjectView', EVENT_VIEW],
  });
  const producer = identityToMetadata(systemIdentity('producer'));

  beforeAll(async () => {
    fixture = await startAuditGrpcService();
    ({ db, client } = fixture);
  }, MIGRATION_RUN_MS);

  afterAll(() => fixture.dispose());

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
