import { randomBytes, randomUUID } from 'node:crypto';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity } from '@flotilla/platform/grpc';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import {
  NO_PROVENANCE,
  SOME_PROVENANCE,
  UNCHAINED,
  undoMigrationsAfter,
} from '../event/audit-event.test-support';
import { AuditEventRepository } from '../audit-event.repository';
import { auditChainLink, GENESIS_LINK } from './audit-chain';
import { signCheckpoint } from './audit-checkpoint';
import { AuditCheckpointWriter } from './audit-checkpoint-writer';
import type { AuditTrailKeys } from './audit-trail-keys';
import { testAuditTrailKeys } from './audit-trail-keys.test-support';
import { AuditTrailService, EVENT_VIEW } from '../audit-trail.service';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';
import {
  AUDIT_EVENTS_GUARD_TRIGGER as GUARD,
  MakeAuditEventsAppendOnly1764200000202,
} from '../migrations/1764200000202-make-audit-events-append-only';
import { emptyAuditTrailAsOwner } from '../migrations/empty-audit-trail-as-owner';

/** Migrating a fresh database takes up to a minute on Babelfish on a busy 2-core machine. */
const MIGRATION_RUN_MS = 120_000;
const EVENTS = 20;
/** Long enough that no test outlives a checkpoint; each test writes its own. */
const CHECKPOINT_MS = 600_000;

const auditor: CallerIdentity = {
  userId: 'u9',
  username: 'auditor',
  clientIp: '',
  permissions: [EVENT_VIEW],
};

function events(count: number): auditV1.AuditEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    occurredAt: new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString(),
    actorId: 'u1',
    actorName: 'Alice',
    action: 'project.updated',
    resourceType: 'Project',
    resourceId: `p${i}`,
    details: JSON.stringify({ i, name: 'Wéb' }),
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
    ...NO_PROVENANCE,
    ...UNCHAINED,
  }));
}

/**
 * Issue 11: someone with write access to the database (and DDL, to get past the append-only
 * trigger) changes the trail behind the audit service's back; verification names the first place.
 */
describe('the audit chain, on the database', () => {
  let db: MigratedTestDatabase;
  let trail: AuditTrailService;
  let checkpoints: AuditCheckpointWriter;
  let keys: AuditTrailKeys;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    keys = testAuditTrailKeys();
    const config = { auditCheckpointMs: CHECKPOINT_MS, nodeName: 'node-spec' };
    const repository = new AuditEventRepository(db.dataSource, keys.chainKey);
    trail = new AuditTrailService(repository, keys, config);
    checkpoints = new AuditCheckpointWriter(repository, keys, config);
  }, MIGRATION_RUN_MS);
  beforeEach(async () => {
    await emptyAuditTrailAsOwner(db.dataSource);
    const all = events(EVENTS);
    // Three batches, two of them at once (two relays): one chain with no gap or fork.
    await trail.record(all.slice(0, 8));
    await Promise.all([trail.record(all.slice(8, 14)), trail.record(all.slice(14))]);
    await expect(checkpoints.writeIfDue()).resolves.toMatchObject({ sequence: EVENTS });
  });
  afterAll(() => db.dispose());

  const p = (index: number) => dialectSql(db.dialect).param(index);

  type Run = (sql: string, params?: unknown[]) => Promise<unknown>;

  /** Runs `tamper` as an attacker who can get past the append-only trigger, then puts it back. */
  async function behindTheTrailsBack(tamper: (run: Run) => Promise<unknown>): Promise<void> {
    if (db.dialect === 'postgres') {
      await db.dataSource.transaction(async (manager) => {
        await manager.query(`ALTER TABLE audit_events DISABLE TRIGGER ${GUARD}`);
        await tamper((sql, params) => manager.query(sql, params));
        await manager.query(`ALTER TABLE audit_events ENABLE TRIGGER ${GUARD}`);
      });
      return;
    }
    await db.dataSource.query(`DROP TRIGGER ${GUARD}`);
    try {
      await tamper((sql, params) => db.dataSource.query(sql, params));
    } finally {
      const runner = db.dataSource.createQueryRunner();
      await new MakeAuditEventsAppendOnly1764200000202().up(runner);
      await runner.release();
    }
  }

  it('numbers every event 1..N with no gap, even with batches chained at once, and verifies intact', async () => {
    const numbers = await db.dataSource.query<{ n: number | string }[]>(
      'SELECT sequence_number AS n FROM audit_events ORDER BY sequence_number',
    );
    expect(numbers.map(({ n }) => Number(n))).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      intact: true,
      verifiedEvents: EVENTS,
      headSequence: EVENTS,
    });
  });

  it('finds an edited field at its event', async () => {
    await behindTheTrailsBack((run) =>
      run(`UPDATE audit_events SET actor_name = ${p(1)} WHERE sequence_number = 7`, ['Mallory']),
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      intact: false,
      verifiedEvents: 6,
      firstBreak: { kind: 'edited', sequence: 7 },
    });
  });

  it('finds a removed event by its missing number', async () => {
    await behindTheTrailsBack((run) => run('DELETE FROM audit_events WHERE sequence_number = 5'));
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'missing', sequence: 5 },
    });
  });

  it('finds the newest events removed with the chain head rolled back, by the signed checkpoint', async () => {
    await behindTheTrailsBack(async (run) => {
      const [row] = (await run('SELECT chain_hash FROM audit_events WHERE sequence_number = 17')) as {
        chain_hash: string;
      }[];
      await run('DELETE FROM audit_events WHERE sequence_number > 17');
      await run(`UPDATE audit_chain_head SET sequence_number = 17, chain_hash = ${p(1)} WHERE id = 1`, [
        row?.chain_hash,
      ]);
    });
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      verifiedEvents: 17,
      firstBreak: { kind: 'checkpoint', sequence: 17 },
    });
  });

  it('finds the checkpoints removed too: none left, or the newest one left too old', async () => {
    await db.dataSource.query('DELETE FROM audit_checkpoints');
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('no signed checkpoint') as string },
    });
    // A genuine checkpoint of an hour ago, its successors removed.
    const [head] = await db.dataSource.query<{ chain_hash: string; now: Date }[]>(
      `SELECT chain_hash, ${dialectSql(db.dialect).now} AS now FROM audit_chain_head`,
    );
    const old = {
      sequence: EVENTS,
      chainHash: head.chain_hash,
      signedAt: new Date(head.now.getTime() - 3_600_000),
    };
    await db.dataSource.query(
      `INSERT INTO audit_checkpoints (id, sequence_number, chain_hash, signed_at, node_name, signature) VALUES ` +
        `(${p(1)}, ${p(2)}, ${p(3)}, ${db.dialect === 'mssql' ? `CONVERT(datetime2, ${p(4)}, 127)` : `CAST(${p(4)} AS timestamptz)`}, 'node-1', ${p(5)})`,
      [
        randomUUID(),
        old.sequence,
        old.chainHash,
        old.signedAt.toISOString(),
        signCheckpoint(keys.checkpoint.privateKey, old),
      ],
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('60 min old') as string },
    });
    // The next writer's check signs a fresh one (the newest is older than the interval); a second
    // writer within the interval (another node) signs none.
    await expect(checkpoints.writeIfDue()).resolves.toBeDefined();
    await expect(checkpoints.writeIfDue()).resolves.toBeUndefined();
    await expect(trail.verify(auditor)).resolves.toMatchObject({ intact: true });
  });

  it('finds a checkpoint changed in the database by its signature', async () => {
    await db.dataSource.query(`UPDATE audit_checkpoints SET sequence_number = 19`);
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'checkpoint', message: expect.stringContaining('does not verify') as string },
    });
  });

  it('finds the newest events removed, the head left as it was', async () => {
    await behindTheTrailsBack((run) => run('DELETE FROM audit_events WHERE sequence_number > 17'));
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      verifiedEvents: 17,
      firstBreak: { kind: 'head', sequence: 17 },
    });
  });

  it('finds an event inserted with no link, and one inserted with a made-up link', async () => {
    const [forged, plain] = events(2);
    const columns =
      'id, occurred_at, recorded_at, actor_id, actor_name, action, resource_type, resource_id, details, client_ip, source';
    const values = `${p(1)}, ${dialectSql(db.dialect).now}, ${dialectSql(db.dialect).now}, 'u1', 'Alice', 'project.deleted', 'Project', 'p1', '{}', '', 'spec'`;
    await behindTheTrailsBack((run) =>
      run(`INSERT INTO audit_events (${columns}) VALUES (${values})`, [plain?.id]),
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      verifiedEvents: EVENTS,
      firstBreak: { kind: 'unchained', count: 1 },
    });
    await behindTheTrailsBack((run) =>
      run(
        `INSERT INTO audit_events (${columns}, sequence_number, chain_hash) VALUES (${values}, 21, ${p(2)})`,
        [forged?.id, randomBytes(32).toString('hex')],
      ),
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'edited', sequence: 21, eventId: forged?.id },
    });
  });

  it('keeps chaining after the head when a resent batch comes again', async () => {
    const again = events(3);
    await expect(trail.record(again)).resolves.toEqual({ recorded: 3 });
    await expect(trail.record(again)).resolves.toEqual({ recorded: 0 });
    await expect(trail.verify(auditor)).resolves.toMatchObject({ intact: true, headSequence: EVENTS + 3 });
  });

  it('finds an edited provenance column, and a link version set back to 1, at its event', async () => {
    await trail.record(events(2).map((event) => ({ ...event, ...SOME_PROVENANCE })));
    await behindTheTrailsBack((run) =>
      run(`UPDATE audit_events SET socket_peer = ${p(1)} WHERE sequence_number = ${EVENTS + 1}`, [
        '10.9.9.9',
      ]),
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      verifiedEvents: EVENTS,
      firstBreak: { kind: 'edited', sequence: EVENTS + 1 },
    });
    await emptyAuditTrailAsOwner(db.dataSource);
    await trail.record(events(2).map((event) => ({ ...event, ...SOME_PROVENANCE })));
    await behindTheTrailsBack((run) =>
      run('UPDATE audit_events SET link_version = 1 WHERE sequence_number = 2'),
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      firstBreak: { kind: 'edited', sequence: 2 },
    });
  });
});

/**
 * Upgrading: events the previous release chained (version-1 links, no provenance columns yet)
 * still verify after migration 1764200000220, beside the version-2 events linked after it.
 */
describe('the audit chain across the provenance migration', () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
  }, MIGRATION_RUN_MS);
  afterAll(() => db.dispose());

  it(
    'verifies version-1 events stored before it and version-2 events stored after it as one chain',
    async () => {
      const keys = testAuditTrailKeys();
      const config = { auditCheckpointMs: CHECKPOINT_MS, nodeName: 'node-spec' };
      await undoMigrationsAfter(db.dataSource, 'AddAuditEventsClientIpKey1764200000205');
      const sql = dialectSql(db.dialect);
      const ts = (index: number) =>
        db.dialect === 'postgres'
          ? `CAST(${sql.param(index)} AS timestamptz)`
          : `CONVERT(datetime2, ${sql.param(index)}, 127)`;
      // As the previous release's audit service stored them: its columns, its link.
      let link = GENESIS_LINK;
      const recordedAt = new Date(Date.UTC(2026, 11, 1, 9, 0, 0));
      const old = events(3);
      for (const [index, event] of old.entries()) {
        const row = {
          ...event,
          occurredAt: new Date(event.occurredAt),
          clientIpKey: '00000000000000000000ffffc0000207',
          recordedAt,
          sequence: index + 1,
          linkVersion: 1,
        };
        link = auditChainLink(keys.chainKey, link, row);
        await db.dataSource.query(
          'INSERT INTO audit_events (id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, ' +
            'details, client_ip, source, forwarded_for, client_ip_key, recorded_at, sequence_number, chain_hash) ' +
            `VALUES (${sql.param(1)}, ${ts(2)}, ${[3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(sql.param).join(', ')}, ${ts(13)}, ${sql.param(14)}, ${sql.param(15)})`,
          [
            row.id,
            row.occurredAt.toISOString(),
            row.actorId,
            row.actorName,
            row.action,
            row.resourceType,
            row.resourceId,
            row.details,
            row.clientIp,
            row.source,
            row.forwardedFor,
            row.clientIpKey,
            recordedAt.toISOString(),
            row.sequence,
            link,
          ],
        );
      }
      await db.dataSource.query(
        `UPDATE audit_chain_head SET sequence_number = ${sql.param(1)}, chain_hash = ${sql.param(2)} WHERE id = 1`,
        [3, link],
      );
      await db.dataSource.runMigrations();

      const repository = new AuditEventRepository(db.dataSource, keys.chainKey);
      const trail = new AuditTrailService(repository, keys, config);
      await trail.record(events(2).map((event) => ({ ...event, ...SOME_PROVENANCE })));
      await new AuditCheckpointWriter(repository, keys, config).writeIfDue();
      const versions = await db.dataSource.query<{ v: number | string }[]>(
        'SELECT link_version AS v FROM audit_events ORDER BY sequence_number',
      );
      expect(versions.map(({ v }) => Number(v))).toEqual([1, 1, 1, 2, 2]);
      await expect(trail.verify(auditor)).resolves.toMatchObject({ intact: true, verifiedEvents: 5 });
    },
    MIGRATION_RUN_MS,
  );
});
