import { status } from '@grpc/grpc-js';
import { MigrationInterface, QueryRunner } from 'typeorm';

import { systemIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import type { auditV1 } from '@flotilla/contracts';

import { AuditOutboxRelay, PARKED_ATTEMPTS } from './audit-outbox-relay';
import { auditOutboxEntity } from './audit-outbox.entity';
import { createAuditOutboxTable, dropAuditOutboxTable } from './audit-outbox.migration';
import { AuditRecorder } from './audit-recorder';

class CreateSpecOutbox1700000000000 implements MigrationInterface {
  name = 'CreateSpecOutbox1700000000000';
  up = (runner: QueryRunner) => createAuditOutboxTable(runner, 'spec');
  down = (runner: QueryRunner) => dropAuditOutboxTable(runner, 'spec');
}

describe(AuditOutboxRelay.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: [auditOutboxEntity('spec')],
      migrations: [CreateSpecOutbox1700000000000],
    });
  });
  afterAll(() => db.dispose());

  it('keeps events recorded in a rolled-back transaction out, and relays committed ones once', async () => {
    const recorder = new AuditRecorder('spec');
    const actor = { ...systemIdentity('spec'), clientIp: '192.0.2.7' };
    await expect(
      db.dataSource.transaction(async (manager) => {
        await recorder.record(manager, {
          actor,
          action: 'project.created',
          resourceType: 'Project',
          resourceId: 'p1',
        });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await db.dataSource.transaction((manager) =>
      recorder.record(manager, {
        actor,
        action: 'project.created',
        resourceType: 'Project',
        resourceId: 'p2',
        details: { name: 'Web' },
      }),
    );

    const received: auditV1.AuditEvent[] = [];
    let failNext = true;
    const sut = new AuditOutboxRelay(db.dataSource, 'spec', (events) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('audit unavailable'));
      }
      received.push(...events);
      return Promise.resolve();
    });

    await expect(sut.flush()).rejects.toThrow('audit unavailable');
    await expect(sut.flush()).resolves.toBe(1);
    await expect(sut.flush()).resolves.toBe(0);
    expect(received).toEqual([
      expect.objectContaining({
        resourceId: 'p2',
        clientIp: '192.0.2.7',
        source: 'spec',
        details: '{"name":"Web"}',
      }),
    ]);
  });

  it('parks an event the audit service refuses as invalid and relays the rest', async () => {
    const recorder = new AuditRecorder('spec');
    const actor = systemIdentity('spec');
    await db.dataSource.transaction(async (manager) => {
      await recorder.record(manager, {
        actor,
        action: 'bad.event',
        resourceType: 'Project',
        resourceId: 'p3',
      });
      await recorder.record(manager, {
        actor,
        action: 'good.event',
        resourceType: 'Project',
        resourceId: 'p4',
      });
    });
    const received: string[] = [];
    const sut = new AuditOutboxRelay(db.dataSource, 'spec', (events) => {
      if (events.some((event) => event.action === 'bad.event')) {
        return Promise.reject(
          Object.assign(new Error('invalid'), { code: status.INVALID_ARGUMENT, details: 'action: bad' }),
        );
      }
      received.push(...events.map((event) => event.action));
      return Promise.resolve();
    });

    await expect(sut.flush()).resolves.toBe(2);
    await expect(sut.flush()).resolves.toBe(0);
    expect(received).toEqual(['good.event']);
    const parked = await db.dataSource.query<{ action: string; attempts: number }[]>(
      'SELECT action, attempts FROM spec_audit_outbox',
    );
    expect(parked).toEqual([{ action: 'bad.event', attempts: PARKED_ATTEMPTS }]);
  });
});
