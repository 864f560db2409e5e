import { status } from '@grpc/grpc-js';

import { AuditOutboxRelay, AuditRecorder, auditOutboxTable, PARKED_ATTEMPTS } from '@flotilla/audit/outbox';
import { identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';
import { dialectOf, dialectSql } from '@flotilla/platform/persistence';

import {
  AuditGrpcClient,
  AuditGrpcFixture,
  grpcFailure,
  MIGRATION_RUN_MS,
  startAuditGrpcService,
} from '../audit-grpc.test-support';

/**
 * An event the audit service refuses is a bug to surface, not an attempt silently gone: the
 * producer's relay parks it, and the audit service remembers it for the health endpoint.
 */
describe('AuditService.Health over gRPC: refused events and the chain', () => {
  let fixture: AuditGrpcFixture;
  let client: AuditGrpcClient;
  const reviewer = identityToMetadata({
    userId: 'u9',
    username: 'rev',
    clientIp: '198.51.100.9',
    permissions: ['EventView'],
  });
  const operator = identityToMetadata({
    userId: 'u1',
    username: 'op',
    clientIp: '198.51.100.9',
    permissions: ['AdministerSystem'],
  });
  const viewer = identityToMetadata({
    userId: 'u2',
    username: 'dev',
    clientIp: '198.51.100.9',
    permissions: ['ProjectView'],
  });
  const producer = identityToMetadata(systemIdentity('producer'));

  beforeAll(async () => {
    fixture = await startAuditGrpcService();
    client = fixture.client;
  }, MIGRATION_RUN_MS);

  afterAll(() => fixture.dispose());

  it('reports no refusal, the chain head and the checkpoint on a fresh trail, to reviewers and operators only', async () => {
    const health = await client.health(reviewer);
    expect(health).toMatchObject({ refusedEvents: 0, headSequence: 0, checkpointIntervalMs: 300_000 });
    expect(health.newestRefusal).toBeFalsy(); // proto-loader: null for an absent message
    expect(Date.parse(health.checkedAt)).not.toBeNaN();
    await expect(client.health(operator)).resolves.toMatchObject({ refusedEvents: 0 });
    for (const refused of [viewer, producer]) {
      await expect(grpcFailure(client.health(refused))).resolves.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
    }
  });

  it('remembers an event the relay had to park, once however often it is sent, while the good ones are stored', async () => {
    const recorder = new AuditRecorder('producer');
    const actor = systemIdentity('producer');
    const badId = await fixture.db.dataSource.transaction(async (manager) => {
      await recorder.record(manager, {
        actor,
        action: 'spec.good-1',
        resourceType: 'Spec',
        resourceId: 'g1',
      });
      await recorder.record(manager, { actor, action: 'spec.bad', resourceType: 'Spec', resourceId: 'b1' });
      await recorder.record(manager, {
        actor,
        action: 'spec.good-2',
        resourceType: 'Spec',
        resourceId: 'g2',
      });
      const rows = await manager.query<{ id: string }[]>(
        `SELECT id FROM ${auditOutboxTable('producer')} WHERE action = 'spec.bad'`,
      );
      return rows[0]?.id;
    });
    // A producer's bug: details that are not JSON (its outbox row is edited to make one).
    const { dataSource } = fixture.db;
    await dataSource.query(
      `UPDATE ${auditOutboxTable('producer')} SET details = 'not json' WHERE id = ${dialectSql(dialectOf(dataSource)).param(1)}`,
      [badId],
    );
    const relay = new AuditOutboxRelay(fixture.db.dataSource, 'producer', async (events) => {
      await client.record(events, producer);
    });
    await relay.flush();
    await relay.flush(); // parked: not sent again

    const health = await client.health(reviewer);
    expect(health.refusedEvents).toBe(1);
    expect(health.newestRefusal).toMatchObject({
      eventId: badId,
      source: 'producer',
      action: 'spec.bad',
      reason: 'details: must be valid JSON',
    });
    // The batch was refused whole, then the event alone: twice, one refusal.
    expect(health.newestRefusal?.times).toBe(2);
    expect(health.headSequence).toBe(2);
    const parked = await fixture.db.dataSource.query<{ attempts: number }[]>(
      `SELECT attempts FROM ${auditOutboxTable('producer')}`,
    );
    expect(parked).toEqual([{ attempts: PARKED_ATTEMPTS }]);
    const stored = await client.query({ action: 'spec.*' }, reviewer);
    expect(stored.items.map((event) => event.action).sort()).toEqual(['spec.good-1', 'spec.good-2']);

    // Sent again (an operator un-parking it before the fix): still one refusal, counted. The event
    // is a stored one with the bad id and details, so it has every field the message has.
    const [template] = (await client.query({ action: 'spec.good-1' }, reviewer)).items;
    if (!template) throw new Error('spec.good-1 was not stored');
    const resent = { ...template, id: badId, action: 'spec.bad', details: 'not json' };
    await expect(grpcFailure(client.record([resent], producer))).resolves.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    const again = await client.health(operator);
    expect(again).toMatchObject({ refusedEvents: 1, newestRefusal: { eventId: badId, times: 3 } });
  });
});
