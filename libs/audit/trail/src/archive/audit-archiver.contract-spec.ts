import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';

import type { auditV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuditEventRepository } from '../audit-event.repository';
import { AuditTrailService, EVENT_VIEW } from '../audit-trail.service';
import { AuditCheckpointWriter } from '../chain/audit-checkpoint-writer';
import {
  auditManifestDigest,
  auditManifestSignatureValid,
  SignedAuditManifest,
} from '../chain/audit-manifest';
import type { AuditTrailKeys } from '../chain/audit-trail-keys';
import { testAuditTrailKeys } from '../chain/audit-trail-keys.test-support';
import { NO_PROVENANCE, UNCHAINED } from '../event/audit-event.test-support';
import { AuditTrailEntities, AuditTrailMigrations } from '../index';
import { emptyAuditTrailAsOwner } from '../migrations/empty-audit-trail-as-owner';
import { seedArchivableTrail } from './archivable-trail.test-support';
import { ArchiveLease, ArchiveLeaseLost } from './archive-lease';
import { AuditArchiveRepository } from './audit-archive.repository';
import { ADMINISTER_SYSTEM, AuditArchivesService } from './audit-archives.service';
import { ArchiveStep, AuditArchiver } from './audit-archiver';

const MIGRATION_RUN_MS = 180_000;
const DAY_MS = 86_400_000;
/** Long enough for a day's writes on Babelfish on a busy machine; crash tests wait it out. */
const LEASE_MS = 4000;
/** Four days of 30 events, the first 100 days ago (past the default 90-day retention). */
const DAYS = 4;
const PER_DAY = 30;

const admin: CallerIdentity = {
  userId: 'u1',
  username: 'admin',
  clientIp: '192.0.2.1',
  permissions: [ADMINISTER_SYSTEM, EVENT_VIEW],
};
const auditor: CallerIdentity = {
  userId: 'u9',
  username: 'auditor',
  clientIp: '',
  permissions: [EVENT_VIEW],
};

class Crash extends Error {}

function recentEvent(): auditV1.AuditEvent {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
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

async function rpcCode(promise: Promise<unknown>): Promise<unknown> {
  const failure = await promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
  return failure instanceof RpcException ? (failure.getError() as { code: number }).code : failure;
}

/**
 * Retention and signed archives on a real database (PostgreSQL here; Babelfish with the contract
 * suite's SQL Server run): days archived once each, oldest first, contiguous chain ranges; the
 * narrowed trigger; crashes at each durable step finished by another archiver; the lease's fencing;
 * verification from the newest archive; retention and deletion through the service.
 */
describe('audit archiving', () => {
  let db: MigratedTestDatabase;
  let keys: AuditTrailKeys;
  let events: AuditEventRepository;
  let archives: AuditArchiveRepository;
  let trail: AuditTrailService;
  let checkpoints: AuditCheckpointWriter;
  let directory: string;
  let firstDay: Date;

  const p = (index: number) => dialectSql(db.dialect).param(index);
  const ts = (index: number) =>
    db.dialect === 'postgres' ? `CAST(${p(index)} AS timestamptz)` : `CONVERT(datetime2, ${p(index)}, 127)`;
  const archiverOf = (nodeName: string, afterStep?: (step: ArchiveStep, day: string) => void) =>
    new AuditArchiver(archives, events, new ArchiveLease(db.dataSource, LEASE_MS), keys, {
      directory,
      nodeName,
      deleteChunk: 10,
      afterStep,
    });
  const sequencesInDatabase = async (): Promise<number[]> =>
    (
      await db.dataSource.query<{ n: number | string }[]>(
        'SELECT sequence_number AS n FROM audit_events WHERE sequence_number IS NOT NULL ORDER BY sequence_number',
      )
    ).map(({ n }) => Number(n));

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuditTrailEntities, migrations: AuditTrailMigrations });
    keys = testAuditTrailKeys();
    events = new AuditEventRepository(db.dataSource, keys.chainKey);
    archives = new AuditArchiveRepository(db.dataSource);
    const config = { auditCheckpointMs: 300_000, nodeName: 'node-spec' };
    trail = new AuditTrailService(events, keys, config, archives);
    checkpoints = new AuditCheckpointWriter(events, keys, config);
  }, MIGRATION_RUN_MS);
  afterAll(() => db.dispose());

  beforeEach(async () => {
    await emptyAuditTrailAsOwner(db.dataSource);
    await db.dataSource.query('DELETE FROM audit_archives');
    await db.dataSource.query(`UPDATE audit_settings SET retention_days = 90, changed_by = '' WHERE id = 1`);
    await db.dataSource.query(
      `UPDATE audit_archive_lease SET holder = '', expires_at = CURRENT_TIMESTAMP WHERE id = 1`,
    );
    directory = await mkdtemp(join(tmpdir(), 'audit-archives-'));
    const now = await archives.databaseNow();
    firstDay = new Date(Math.floor((now.getTime() - 100 * DAY_MS) / DAY_MS) * DAY_MS);
    await seedArchivableTrail(db.dataSource, keys.chainKey, { firstDay, days: DAYS, eventsPerDay: PER_DAY });
    await trail.record([recentEvent(), recentEvent()]);
  }, 60_000);
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const dayName = (index: number) => new Date(firstDay.getTime() + index * DAY_MS).toISOString().slice(0, 10);

  /** Every archive recorded, checked against its files: signature, SHA-256, numbers, manifest chain. */
  async function expectArchivesWhole(): Promise<void> {
    const recorded = await archives.archives();
    expect(recorded.map((archive) => archive.day)).toEqual(
      Array.from({ length: DAYS }, (_, i) => dayName(i)),
    );
    let previous: SignedAuditManifest | undefined;
    for (const [index, archive] of recorded.entries()) {
      const bytes = await readFile(join(directory, archive.file));
      const manifestFile = await readFile(join(directory, `events-${archive.day}.manifest.json`), 'utf8');
      expect(manifestFile.trim()).toBe(archive.manifest);
      const manifest = JSON.parse(archive.manifest) as SignedAuditManifest;
      expect(auditManifestSignatureValid(keys.checkpoint.publicKey, manifest)).toBe(true);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
      const numbers = bytes
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { sequenceNumber: number }).sequenceNumber);
      const first = index * PER_DAY + 1;
      expect(numbers).toEqual(Array.from({ length: PER_DAY }, (_, i) => first + i));
      expect(manifest).toMatchObject({
        kind: 'archive',
        count: PER_DAY,
        firstSequence: first,
        lastSequence: first + PER_DAY - 1,
        day: archive.day,
        previousManifestSha256: previous ? auditManifestDigest(previous) : '',
      });
      previous = manifest;
    }
    expect((await sequencesInDatabase())[0]).toBe(DAYS * PER_DAY + 1);
  }

  async function expectVerifiesIntact(): Promise<void> {
    await db.dataSource.query('DELETE FROM audit_checkpoints');
    await checkpoints.writeIfDue();
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      intact: true,
      verifiedEvents: 2,
      archivedThrough: { day: dayName(DAYS - 1), sequence: DAYS * PER_DAY, archives: DAYS },
    });
  }

  it('archives each day past the retention once, oldest first, in consecutive chain ranges; verification starts after them', async () => {
    const done = await archiverOf('node-a').runOnce();
    expect(done?.map((archive) => [archive.day, archive.firstSequence, archive.lastSequence])).toEqual(
      Array.from({ length: DAYS }, (_, i) => [dayName(i), i * PER_DAY + 1, (i + 1) * PER_DAY]),
    );
    await expectArchivesWhole();
    await expectVerifiesIntact();
    await expect(archiverOf('node-b').runOnce()).resolves.toEqual([]);
    expect((await readdir(directory)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('archives events from before the chain (no number) in the archive of their day, before the chain begins', async () => {
    const preChainDay = new Date(firstDay.getTime() - 2 * DAY_MS);
    for (let i = 0; i < 3; i++) {
      const at = new Date(preChainDay.getTime() + (i + 1) * 3_600_000).toISOString();
      // As a release before the chain stored them: no number, no link.
      await db.dataSource.query(
        `INSERT INTO audit_events (id, occurred_at, recorded_at, actor_id, actor_name, action, resource_type,
          resource_id, details, client_ip, source) VALUES (${p(1)}, ${ts(2)}, ${ts(2)}, 'u1', 'Alice',
          'project.created', 'Project', 'p1', '{}', '', 'spec')`,
        [randomUUID(), at],
      );
    }
    const done = await archiverOf('node-a').runOnce();
    const preChainName = preChainDay.toISOString().slice(0, 10);
    expect(done?.map((archive) => [archive.day, archive.count, archive.firstSequence])).toEqual([
      [preChainName, 3, null],
      ...Array.from({ length: DAYS }, (_, i) => [dayName(i), PER_DAY, i * PER_DAY + 1]),
    ]);
    const lines = (await readFile(join(directory, `events-${preChainName}.jsonl`), 'utf8'))
      .trim()
      .split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { sequenceNumber: unknown }).sequenceNumber)).toEqual([
      null,
      null,
      null,
    ]);
    const [left] = await db.dataSource.query<{ n: number | string }[]>(
      'SELECT COUNT(*) AS n FROM audit_events WHERE sequence_number IS NULL',
    );
    expect(Number(left.n)).toBe(0);
    await db.dataSource.query('DELETE FROM audit_checkpoints');
    await checkpoints.writeIfDue();
    await expect(trail.verify(auditor)).resolves.toMatchObject({ intact: true, verifiedEvents: 2 });
  });

  it('archives nothing while the days are within the retention', async () => {
    await db.dataSource.query('UPDATE audit_settings SET retention_days = 200 WHERE id = 1');
    await expect(archiverOf('node-a').runOnce()).resolves.toEqual([]);
    expect(await sequencesInDatabase()).toHaveLength(DAYS * PER_DAY + 2);
  });

  it.each<[ArchiveStep, number]>([
    ['file-written', 1],
    ['recorded', 1],
    ['chunk-deleted', 2],
  ])(
    'finishes on another node a run that crashed after %s (occurrence %d of the second day)',
    async (step, occurrence) => {
      let seen = 0;
      const crashing = archiverOf('node-a', (at, day) => {
        if (at === step && day === dayName(1) && ++seen === occurrence) throw new Crash(`crash after ${at}`);
      });
      const lease = new ArchiveLease(db.dataSource, LEASE_MS);
      const held = await lease.tryAcquire('node-a');
      if (!held) throw new Error('the lease was not free');
      // A crashed process does not release its lease: node-b must wait for it to expire.
      await expect(crashing.archiveDue(held)).rejects.toBeInstanceOf(Crash);
      const other = archiverOf('node-b');
      await expect(other.runOnce()).resolves.toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
      const finished = await other.runOnce();
      expect(finished?.[0]?.day).toBe(step === 'file-written' ? dayName(1) : dayName(2));
      await expectArchivesWhole();
      await expectVerifiesIntact();
    },
  );

  it('fences a holder whose lease expired and was taken: its next write is refused', async () => {
    const lease = new ArchiveLease(db.dataSource, LEASE_MS);
    const stale = await lease.tryAcquire('node-a');
    if (!stale) throw new Error('the lease was not free');
    expect(await lease.tryAcquire('node-b')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
    const fresh = await lease.tryAcquire('node-b');
    expect(fresh?.token).toBe(stale.token + 1);
    await expect(lease.fenced(stale, () => Promise.resolve('wrote'))).rejects.toBeInstanceOf(
      ArchiveLeaseLost,
    );
    await expect(fresh && lease.fenced(fresh, () => Promise.resolve('wrote'))).resolves.toBe('wrote');
  });

  it('lets the services delete only archived events: an unarchived one is refused and kept', async () => {
    const refusal = await db.dataSource
      .query(`DELETE FROM audit_events WHERE sequence_number = ${p(1)}`, [1])
      .then(
        () => 'deleted',
        (error: unknown) => String(error),
      );
    expect(refusal).toContain('audit_events is append-only');
    await archiverOf('node-a').runOnce();
    const head = DAYS * PER_DAY + 1;
    const newest = await db.dataSource
      .query(`DELETE FROM audit_events WHERE sequence_number >= ${p(1)}`, [head])
      .then(
        () => 'deleted',
        (error: unknown) => String(error),
      );
    expect(newest).toContain('audit_events is append-only');
    expect(await sequencesInDatabase()).toEqual([head, head + 1]);
    const update = await db.dataSource
      .query(`UPDATE audit_events SET actor_name = 'Mallory' WHERE sequence_number = ${p(1)}`, [head])
      .then(
        () => 'updated',
        (error: unknown) => String(error),
      );
    expect(update).toContain('audit_events is append-only');
  });

  it('reports a forged archive record (and the events it let someone delete)', async () => {
    await archiverOf('node-a').runOnce();
    const [newest] = (await archives.archives()).slice(-1);
    const head = DAYS * PER_DAY + 1;
    const forged = { ...(JSON.parse(newest.manifest) as SignedAuditManifest), day: '2999-01-01' };
    await db.dataSource.query(
      `INSERT INTO audit_archives (archive_day, file_name, event_count, first_sequence, last_sequence, through_sequence,
        previous_chain_hash, last_chain_hash, recorded_before, sha256, manifest, created_at)
       SELECT '2999-01-01', file_name, 1, ${p(1)}, ${p(1)}, ${p(1)}, last_chain_hash, last_chain_hash, recorded_before,
        sha256, ${p(2)}, created_at FROM audit_archives WHERE archive_day = ${p(3)}`,
      [head, JSON.stringify(forged), newest.day],
    );
    await db.dataSource.query(`DELETE FROM audit_events WHERE sequence_number = ${p(1)}`, [head]);
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      intact: false,
      firstBreak: { kind: 'archive', message: expect.stringContaining('2999-01-01') as string },
    });
  });

  it('reports events deleted right after the newest archive as missing', async () => {
    await archiverOf('node-a').runOnce();
    await db.dataSource.query('DELETE FROM audit_checkpoints');
    await checkpoints.writeIfDue();
    const head = DAYS * PER_DAY + 1;
    // Past the trigger as its owner could: the archive record made the row deletable for a moment.
    await db.dataSource.query(
      `UPDATE audit_archives SET last_sequence = ${p(1)} WHERE archive_day = ${p(2)}`,
      [head, dayName(DAYS - 1)],
    );
    await db.dataSource.query(`DELETE FROM audit_events WHERE sequence_number = ${p(1)}`, [head]);
    await db.dataSource.query(
      `UPDATE audit_archives SET last_sequence = ${p(1)} WHERE archive_day = ${p(2)}`,
      [head - 1, dayName(DAYS - 1)],
    );
    await expect(trail.verify(auditor)).resolves.toMatchObject({
      intact: false,
      firstBreak: { kind: 'missing', sequence: head },
    });
  });

  it('keeps the retention in the database, validates it, and records each change with old and new values', async () => {
    const service = new AuditArchivesService(archives, events, { directory });
    await expect(service.retention(auditor)).resolves.toMatchObject({ days: 90 });
    expect(await rpcCode(service.setRetention(auditor, 30))).toBe(status.PERMISSION_DENIED);
    expect(await rpcCode(service.setRetention(admin, 0))).toBe(status.INVALID_ARGUMENT);
    await expect(service.setRetention(admin, 30)).resolves.toMatchObject({ days: 30, changedBy: 'admin' });
    const [changed] = await db.dataSource.query<{ details: string; actor_name: string }[]>(
      "SELECT details, actor_name FROM audit_events WHERE action = 'audit.retention-changed'",
    );
    expect(JSON.parse(changed.details)).toEqual({ old: { retentionDays: 90 }, new: { retentionDays: 30 } });
    expect(changed.actor_name).toBe('admin');
  });

  it('deletes an archive only 30 days after it was made, oldest first, and records the deletion', async () => {
    await archiverOf('node-a').runOnce();
    const service = new AuditArchivesService(archives, events, { directory });
    expect(await rpcCode(service.delete(auditor, dayName(0)))).toBe(status.PERMISSION_DENIED);
    expect(await rpcCode(service.delete(admin, dayName(0)))).toBe(status.FAILED_PRECONDITION);
    const backdate =
      db.dialect === 'postgres'
        ? "UPDATE audit_archives SET created_at = created_at - INTERVAL '31 days'"
        : 'UPDATE audit_archives SET created_at = DATEADD(day, -31, created_at)';
    await db.dataSource.query(backdate);
    expect(await rpcCode(service.delete(admin, dayName(1)))).toBe(status.FAILED_PRECONDITION);
    await expect(service.delete(admin, dayName(0))).resolves.toMatchObject({ day: dayName(0) });
    expect((await readdir(directory)).filter((name) => name.includes(dayName(0)))).toEqual([]);
    const [deleted] = await db.dataSource.query<{ resource_id: string }[]>(
      "SELECT resource_id FROM audit_events WHERE action = 'audit.archive-deleted'",
    );
    expect(deleted.resource_id).toBe(dayName(0));
    expect(await rpcCode(service.open(auditor, dayName(0), false))).toBe(status.NOT_FOUND);
    await expect(service.list(auditor)).resolves.toHaveLength(DAYS);
    // The record stays: verification still starts after the newest archive.
    await db.dataSource.query('DELETE FROM audit_checkpoints');
    await checkpoints.writeIfDue();
    await expect(trail.verify(auditor)).resolves.toMatchObject({ intact: true });
  });
});
