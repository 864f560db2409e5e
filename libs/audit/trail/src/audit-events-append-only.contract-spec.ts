import { randomUUID } from 'node:crypto';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity } from '@flotilla/platform/grpc';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase, testDialect } from '@flotilla/testing';

import { NO_PROVENANCE, sentFields, UNCHAINED } from './event/audit-event.test-support';
import { AuditEventRepository } from './audit-event.repository';
import { AuditTrailService, EVENT_VIEW } from './audit-trail.service';
import { testAuditTrailKeys } from './chain/audit-trail-keys.test-support';
import { AuditTrailEntities, AuditTrailMigrations } from './index';
import { queryRequest } from './query/query-request.test-support';
import { AUDIT_EVENTS_GUARD_MESSAGE } from './migrations/1764200000202-make-audit-events-append-only';

/** Migrating a fresh database takes up to a minute on Babelfish on a busy 2-core machine. */
const MIGRATION_RUN_MS = 120_000;

const auditor: CallerIdentity = {
  userId: 'u9',
  username: 'auditor',
  clientIp: '',
  permissions: [EVENT_VIEW],
};

function event(): auditV1.AuditEvent {
  return {
    id: randomUUID(),
    occurredAt: '2025-03-01T00:00:00.000Z',
    actorId: 'u1',
    actorName: 'Alice',
    action: 'project.created',
    resourceType: 'Project',
    resourceId: 'p1',
    details: '{"name":"Web"}',
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
    ...NO_PROVENANCE,
    ...UNCHAINED,
  };
}

/** The error a statement failed with, or a failure of the test when it succeeded. */
async function failureOf(statement: Promise<unknown>): Promise<string> {
  const outcome = await statement.then(
    () => 'the statement succeeded',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  if (outcome === 'the statement succeeded') throw new Error(outcome);
  return outcome;
}

/**
 * Issue 9: the role the services connect with (here the same role that ran the migrations, as in
 * `npm start`) can add audit events and read them, but not change or remove one.
 */
describe('audit_events is append-only for the services', () => {
  let db: MigratedTestDatabase;
  let trail: AuditTrailService;
  let stored: auditV1.AuditEvent;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    const keys = testAuditTrailKeys();
    trail = new AuditTrailService(new AuditEventRepository(db.dataSource, keys.chainKey), keys, {
      auditCheckpointMs: 300_000,
    });
    stored = event();
    await expect(trail.record([stored])).resolves.toEqual({ recorded: 1 });
  }, MIGRATION_RUN_MS);
  afterAll(() => db.dispose());

  const param = (index: number) => dialectSql(db.dialect).param(index);
  const storedRow = () => trail.query(auditor, { ...noFilter(), resourceId: stored.resourceId });

  it('refuses an UPDATE of a stored event with a message naming the guard, and the row keeps its values', async () => {
    const message = await failureOf(
      db.dataSource.query(`UPDATE audit_events SET actor_name = 'Mallory' WHERE id = ${param(1)}`, [
        stored.id,
      ]),
    );
    expect(message).toContain(AUDIT_EVENTS_GUARD_MESSAGE);
    await expect(storedRow()).resolves.toMatchObject({ items: [sentFields(stored)] });
  });

  it('refuses a DELETE of a stored event, and of every event, and the row stays', async () => {
    const one = await failureOf(
      db.dataSource.query(`DELETE FROM audit_events WHERE id = ${param(1)}`, [stored.id]),
    );
    const all = await failureOf(db.dataSource.query('DELETE FROM audit_events'));
    expect([one, all]).toEqual([
      expect.stringContaining(AUDIT_EVENTS_GUARD_MESSAGE),
      expect.stringContaining(AUDIT_EVENTS_GUARD_MESSAGE),
    ]);
    await expect(storedRow()).resolves.toMatchObject({ items: [sentFields(stored)] });
  });

  it('refuses an UPDATE inside a transaction without leaving the change behind after it', async () => {
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      const message = await failureOf(
        runner.query(`UPDATE audit_events SET details = '{}' WHERE id = ${param(1)}`, [stored.id]),
      );
      expect(message).toContain(AUDIT_EVENTS_GUARD_MESSAGE);
    } finally {
      // SQL Server (and Babelfish) has already rolled the whole transaction back when the trigger
      // threw, and then refuses the ROLLBACK; PostgreSQL needs it.
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
    await expect(storedRow()).resolves.toMatchObject({ items: [{ details: stored.details }] });
  });

  // SQL Server fires no trigger on TRUNCATE TABLE (it needs ALTER, which the documented services
  // role lacks); PostgreSQL's guard covers it, so only that run declares this test.
  if (testDialect() === 'postgres')
    it('refuses a TRUNCATE on PostgreSQL, and the row stays', async () => {
      const message = await failureOf(db.dataSource.query('TRUNCATE audit_events'));
      expect(message).toContain(AUDIT_EVENTS_GUARD_MESSAGE);
      await expect(storedRow()).resolves.toMatchObject({ items: [sentFields(stored)] });
    });

  it('still records new events and reads them back', async () => {
    const next = { ...event(), resourceId: 'p2' };
    await expect(trail.record([next])).resolves.toEqual({ recorded: 1 });
    await expect(trail.query(auditor, { ...noFilter(), resourceId: 'p2' })).resolves.toMatchObject({
      items: [sentFields(next)],
    });
  });
});

function noFilter(): auditV1.QueryEventsRequest {
  return queryRequest({ take: 500 });
}
