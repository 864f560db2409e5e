import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

import type { ArchivedEventLine, SignedArchiveManifest } from './archive-format';
import { archiveSql, ArchiveSql } from './archive-sql';

/** An archive as recorded in `audit_archives`. */
export interface ArchiveRecord {
  day: string;
  file: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
  throughSequence: number;
  previousChainHash: string;
  lastChainHash: string;
  recordedBefore: Date;
  sha256: string;
  /** The signed manifest's JSON, exactly as signed and written beside the file. */
  manifest: string;
  createdAt: Date;
  purgedAt: Date | null;
  fileDeletedAt: Date | null;
  fileDeletedBy: string | null;
}

interface StoredArchive {
  archive_day: string;
  file_name: string;
  event_count: number | string;
  first_sequence: number | string | null;
  last_sequence: number | string | null;
  through_sequence: number | string;
  previous_chain_hash: string;
  last_chain_hash: string;
  recorded_before: Date | string;
  sha256: string;
  manifest: string;
  created_at: Date | string;
  purged_at: Date | string | null;
  file_deleted_at: Date | string | null;
  file_deleted_by: string | null;
}

/** A stored event row as the driver gives it (every column of STORED_COLUMNS). */
type StoredEventRow = Record<string, unknown>;

const nullableNumber = (value: number | string | null): number | null =>
  value === null ? null : Number(value);
const nullableDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function toRecord(row: StoredArchive): ArchiveRecord {
  return {
    day: row.archive_day,
    file: row.file_name,
    count: Number(row.event_count),
    firstSequence: nullableNumber(row.first_sequence),
    lastSequence: nullableNumber(row.last_sequence),
    throughSequence: Number(row.through_sequence),
    previousChainHash: row.previous_chain_hash,
    lastChainHash: row.last_chain_hash,
    recordedBefore: new Date(row.recorded_before),
    sha256: row.sha256,
    manifest: row.manifest,
    createdAt: new Date(row.created_at),
    purgedAt: nullableDate(row.purged_at),
    fileDeletedAt: nullableDate(row.file_deleted_at),
    fileDeletedBy: row.file_deleted_by,
  };
}

/**
 * An event read straight from the table as an archive line: every column, by its camelCase name,
 * timestamps as ISO text, the chain number as a number (null before the chain began).
 */
function toLine(row: StoredEventRow): ArchivedEventLine {
  const line: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const key = column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    line[key] = value instanceof Date ? value.toISOString() : value;
  }
  line['occurredAt'] = new Date(row['occurred_at'] as Date | string).toISOString();
  line['recordedAt'] = new Date(row['recorded_at'] as Date | string).toISOString();
  line['sequenceNumber'] = nullableNumber(row['sequence_number'] as number | string | null);
  if ('linkVersion' in line) line['linkVersion'] = Number(line['linkVersion']);
  return line as unknown as ArchivedEventLine;
}

/** Rows per chained read and per DELETE statement (each its own fenced transaction). */
export const ARCHIVE_READ_PAGE = 2000;
export const ARCHIVE_DELETE_CHUNK = 5000;

/** The SQL I/O of retention and archives: settings, archive records, reading and removing archived events. */
@Injectable()
export class AuditArchiveRepository {
  readonly sql: ArchiveSql;

  constructor(@Inject(DataSource) readonly dataSource: DataSource) {
    this.sql = archiveSql(dialectOf(dataSource));
  }

  async databaseNow(manager: EntityManager = this.dataSource.manager): Promise<Date> {
    const [row] = await manager.query<{ now: Date | string }[]>(this.sql.now);
    return new Date(row.now);
  }

  async retention(): Promise<{ days: number; changedAt: Date; changedBy: string }> {
    const [row] = await this.dataSource.query<
      { retention_days: number | string; changed_at: Date | string; changed_by: string }[]
    >(this.sql.readRetention);
    if (!row) throw new Error('audit_settings has no row: the audit migrations have not run');
    return {
      days: Number(row.retention_days),
      changedAt: new Date(row.changed_at),
      changedBy: row.changed_by,
    };
  }

  /** Changes the retention in the caller's transaction; returns the value it replaced. */
  async setRetentionIn(manager: EntityManager, days: number, changedBy: string): Promise<number> {
    await manager.query(this.sql.lockSettings);
    const [row] = await manager.query<{ retention_days: number | string }[]>(this.sql.readRetention);
    await manager.query(this.sql.updateRetention, [days, changedBy]);
    return Number(row?.retention_days);
  }

  async archives(manager: EntityManager = this.dataSource.manager): Promise<ArchiveRecord[]> {
    return (await manager.query<StoredArchive[]>(this.sql.listArchives)).map(toRecord);
  }

  async archive(day: string): Promise<ArchiveRecord | undefined> {
    return (await this.archives()).find((archive) => archive.day === day);
  }

  async insertArchiveIn(
    manager: EntityManager,
    manifest: SignedArchiveManifest,
    manifestJson: string,
  ): Promise<void> {
    await manager.query(this.sql.insertArchive, [
      manifest.day,
      manifest.file,
      manifest.count,
      manifest.firstSequence,
      manifest.lastSequence,
      manifest.throughSequence,
      manifest.previousChainHash,
      manifest.lastChainHash,
      manifest.recordedBefore,
      manifest.sha256,
      manifestJson,
      manifest.createdAt,
    ]);
  }

  async markPurgedIn(manager: EntityManager, day: string): Promise<void> {
    await manager.query(this.sql.markPurged, [day]);
  }

  async markFileDeletedIn(manager: EntityManager, day: string, by: string): Promise<void> {
    await manager.query(this.sql.markFileDeleted, [day, by]);
  }

  /** The first chained event after `afterSequence`, if any. */
  async nextChained(afterSequence: number): Promise<{ sequence: number; recordedAt: Date } | undefined> {
    const [row] = await this.dataSource.query<
      { sequence_number: number | string; recorded_at: Date | string }[]
    >(this.sql.nextChained, [afterSequence]);
    return row ? { sequence: Number(row.sequence_number), recordedAt: new Date(row.recorded_at) } : undefined;
  }

  /** When the oldest event stored before the chain began was recorded, if one is left. */
  async oldestPreChain(): Promise<Date | undefined> {
    const [row] = await this.dataSource.query<{ oldest: Date | string | null }[]>(this.sql.oldestPreChain);
    return row?.oldest ? new Date(row.oldest) : undefined;
  }

  /**
   * The last chain number an archive closing at `recordedBefore` takes: one before the first
   * chained event (after `afterSequence`) recorded at or after it, else the highest number stored.
   */
  async lastSequenceBefore(recordedBefore: Date, afterSequence: number): Promise<number> {
    const [first] = await this.dataSource.query<{ sequence_number: number | string }[]>(
      this.sql.firstRecordedFrom,
      [recordedBefore.toISOString(), afterSequence],
    );
    if (first) return Number(first.sequence_number) - 1;
    const [max] = await this.dataSource.query<{ n: number | string | null }[]>(this.sql.maxSequence);
    return Math.max(afterSequence, Number(max?.n ?? 0));
  }

  /** Pre-chain events recorded before `recordedBefore`, oldest first, in pages. */
  async *preChainEvents(recordedBefore: Date): AsyncGenerator<ArchivedEventLine[]> {
    let after = { recordedAt: new Date(0).toISOString(), id: '' };
    for (;;) {
      const rows = await this.dataSource.query<StoredEventRow[]>(this.sql.preChainPage(ARCHIVE_READ_PAGE), [
        recordedBefore.toISOString(),
        after.recordedAt,
        after.id,
      ]);
      if (rows.length === 0) return;
      const lines = rows.map(toLine);
      yield lines;
      const last = lines[lines.length - 1];
      after = { recordedAt: last.recordedAt, id: last.id };
      if (rows.length < ARCHIVE_READ_PAGE) return;
    }
  }

  async deleteChainedIn(manager: EntityManager, first: number, last: number): Promise<void> {
    await manager.query(this.sql.deleteChainedRange, [first, last]);
  }

  async deletePreChainIn(manager: EntityManager, recordedBefore: Date): Promise<void> {
    await manager.query(this.sql.deletePreChain, [recordedBefore.toISOString()]);
  }

  /** Events of a recorded archive still in the database (a purge that has not finished). */
  async remaining(archive: ArchiveRecord): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number | string }[]>(this.sql.remainingInRange, [
      archive.firstSequence ?? 0,
      archive.lastSequence ?? -1,
      archive.recordedBefore.toISOString(),
    ]);
    return Number(row?.n ?? 0);
  }
}
