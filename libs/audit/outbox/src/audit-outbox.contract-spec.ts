import { status } from '@grpc/grpc-js';
import { MigrationInterface, QueryRunner } from 'typeorm';

import { FORWARDED_FOR_MAX_LENGTH, systemIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import type { auditV1 } from '@flotilla/contracts';

import { AuditOutboxRelay, PARKED_ATTEMPTS } from './audit-outbox-relay';
import { auditOutboxEntity } from './audit-outbox.entity';
import {
  addAuditOutboxForwardedFor,
  AUDIT_PROVENANCE_COLUMNS,
  auditOutboxProvenanceMigration,
  createAuditOutboxTable,
  dropAuditOutboxForwardedFor,
  dropAuditOutboxTable,
} from './audit-outbox.migration';
import { AuditRecorder } from './audit-recorder';

class CreateSpecOutbox1700000000000 implements MigrationInterface {
  name = 'CreateSpecOutbox1700000000000';
  up = (runner: QueryRunner) => createAuditOutboxTable(runner, 'spec');
  down = (runner: QueryRunner) => dropAuditOutboxTable(runner, 'spec');
}

class AddSpecOutboxForwardedFor1700000000001 implements MigrationInterface {
  name = 'AddSpecOutboxForwardedFor1700000000001';
  up = (runner: QueryRunner) => addAuditOutboxForwardedFor(runner, 'spec');
  down = (runner: QueryRunner) => dropAuditOutboxForwardedFor(runner, 'spec');
}

/**
 * Creating a database and running migrations reads the catalogue table by table: seconds on
 * PostgreSQL, up to a minute on Babelfish on a busy 2-core machine. The jest default (30 s) would
 * fail on load, not on a defect; tests and hooks that migrate get this instead.
 */
const MIGRATION_RUN_MS = 120_000;

const parts = {
  entities: [auditOutboxEntity('spec')],
  migrations: [
    CreateSpecOutbox1700000000000,
    AddSpecOutboxForwardedFor1700000000001,
    auditOutboxProvenanceMigration('spec', 1700000000002),
  ],
};

describe('audit outbox migrations', () => {
  it(
    'migrate down step by step: first without provenance, then without forwarded_for, then to no outbox table',
    async () => {
      // A database of its own: this test takes the schema apart.
      const own = await createMigratedTestDatabase(parts);
      try {
        const runner = own.dataSource.createQueryRunner();
        await own.dataSource.undoLastMigration();
        for (const column of AUDIT_PROVENANCE_COLUMNS)
          await expect(runner.hasColumn('spec_audit_outbox', column)).resolves.toBe(false);
        await expect(runner.hasColumn('spec_audit_outbox', 'forwarded_for')).resolves.toBe(true);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasColumn('spec_audit_outbox', 'forwarded_for')).resolves.toBe(false);
        await expect(runner.hasColumn('spec_audit_outbox', 'client_ip')).resolves.toBe(true);
        await own.dataSource.undoLastMigration();
        await expect(runner.hasTable('spec_audit_outbox')).resolves.toBe(false);
        await runner.release();
      } finally {
        await own.dispose();
      }
    },
    MIGRATION_RUN_MS,
  );
});

describe(AuditOutboxRelay.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(parts);
  }, MIGRATION_RUN_MS);
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

  it('commits an event whatever the client origin holds, and relays the bounded raw header', async () => {
    const recorder = new AuditRecorder('spec');
    const twoKb = `203.0.113.9, ${'x'.repeat(2048)}`;
    await db.dataSource.transaction(async (manager) => {
      for (const [resourceId, clientIp, forwardedFor] of [
        ['two-kb', '1'.repeat(2048), twoKb],
        ['script', '<script>x</script>', undefined],
        ['mapped', '::ffff:192.0.2.8', '\u0000\u00e9'],
      ] as const) {
        await recorder.record(manager, {
          actor: { ...systemIdentity('spec'), clientIp, forwardedFor },
          action: 'origin.checked',
          resourceType: 'Spec',
          resourceId,
        });
      }
    });
    const received: auditV1.AuditEvent[] = [];
    const sut = new AuditOutboxRelay(db.dataSource, 'spec', (events) => {
      received.push(...events);
      return Promise.resolve();
    });

    await expect(sut.flush()).resolves.toBe(3);
    const byResource = new Map(received.map((event) => [event.resourceId, event]));
    expect(byResource.get('two-kb')?.clientIp).toBe('');
    expect(byResource.get('two-kb')?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(byResource.get('two-kb')?.forwardedFor).toMatch(
      /^203\.0\.113\.9, x+\.\.\.\[cut, 2061 characters\]\.\.\./,
    );
    expect(byResource.get('script')).toMatchObject({ clientIp: '', forwardedFor: '<script>x</script>' });
    expect(byResource.get('mapped')).toMatchObject({ clientIp: '192.0.2.8', forwardedFor: '\\x00\\xe9' });
  });

  it('records who signed in how, the socket peer, node, request, outcome and scope, and relays them', async () => {
    const recorder = new AuditRecorder('spec', () => undefined, 'node-7');
    const user = {
      userId: 'u1',
      username: 'alice',
      clientIp: '192.0.2.7',
      socketPeer: '::ffff:127.0.0.1',
      signInMethod: 'api-key' as const,
      apiKeyId: '4b1f0c9e-0000-4000-8000-000000000001',
      requestId: 'req-1',
      permissions: [],
    };
    await db.dataSource.transaction(async (manager) => {
      await recorder.record(manager, {
        actor: user,
        action: 'project.created',
        resourceType: 'Project',
        resourceId: 'Projects-1',
      });
      await recorder.record(manager, {
        actor: user,
        action: 'variable.updated',
        resourceType: 'Variable',
        resourceId: 'v1',
        projectId: 'Projects-1',
        environmentId: 'Environments-2',
      });
      await recorder.record(manager, {
        actor: { userId: '', username: 'mallory', clientIp: '192.0.2.9', permissions: [] },
        action: 'user.login-failed',
        resourceType: 'User',
        resourceId: 'mallory',
      });
      await recorder.record(manager, {
        actor: systemIdentity('spec'),
        action: 'task.recovered',
        resourceType: 'Task',
        resourceId: 't1',
      });
    });
    const received: auditV1.AuditEvent[] = [];
    await new AuditOutboxRelay(db.dataSource, 'spec', (events) => {
      received.push(...events);
      return Promise.resolve();
    }).flush();
    const byResource = new Map(received.map((event) => [event.resourceId, event]));
    expect(byResource.get('Projects-1')).toMatchObject({
      signInMethod: 'api-key',
      apiKeyId: '4b1f0c9e-0000-4000-8000-000000000001',
      socketPeer: '127.0.0.1',
      nodeName: 'node-7',
      requestId: 'req-1',
      outcome: 'success',
      projectId: 'Projects-1',
      environmentId: '',
    });
    expect(byResource.get('v1')).toMatchObject({ projectId: 'Projects-1', environmentId: 'Environments-2' });
    expect(byResource.get('mallory')).toMatchObject({ outcome: 'failure', signInMethod: '', apiKeyId: '' });
    expect(byResource.get('t1')).toMatchObject({ signInMethod: 'service', outcome: 'success' });
  });

  it('takes rows an older producer wrote without forwarded_for, relaying an empty raw header', async () => {
    await db.dataSource.query(
      `INSERT INTO spec_audit_outbox (id, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source, attempts)
       VALUES ('3f2504e0-4f89-41d3-9a0c-0305e82c3399', 'u1', 'Alice', 'old.event', 'Spec', 'r', '{}', '192.0.2.1', 'spec', 0)`,
    );
    const received: auditV1.AuditEvent[] = [];
    await new AuditOutboxRelay(db.dataSource, 'spec', (events) => {
      received.push(...events);
      return Promise.resolve();
    }).flush();
    expect(received).toEqual([
      expect.objectContaining({
        action: 'old.event',
        clientIp: '192.0.2.1',
        forwardedFor: '',
        outcome: '',
        nodeName: '',
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
