import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { defaultNodeName, provenanceOf } from '@flotilla/audit/outbox';
import { CallerIdentity, clientOrigin, RpcErrors } from '@flotilla/platform/grpc';
import { safeJoin } from '@flotilla/platform/storage';

import { AuditEventRepository } from '../audit-event.repository';
import type { AuditEventRow } from '../event/audit-event.columns';
import { archiveFileNames, isArchiveDay } from './archive-format';
import { ARCHIVE_MIN_AGE_DAYS, type ArchiveSettings, RETENTION_LIMITS } from './archive-settings';
import { ArchiveRecord, AuditArchiveRepository } from './audit-archive.repository';

export const ADMINISTER_SYSTEM = 'AdministerSystem';
const EVENT_VIEW = 'EventView';
const DAY_MS = 86_400_000;

/** The Nest token of this audit service's ArchiveSettings. */
export const AUDIT_ARCHIVE_SETTINGS = Symbol('AUDIT_ARCHIVE_SETTINGS');

export interface RetentionSetting {
  days: number;
  changedAt: Date;
  changedBy: string;
}

/** An archive as the API lists it. */
export interface ArchiveListing {
  day: string;
  file: string;
  manifestFile: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
  sha256: string;
  createdAt: Date;
  /** When it may be deleted (ARCHIVE_MIN_AGE_DAYS after it was made). */
  deletableFrom: Date;
  /** Set once its files were deleted through the API (its record stays: verification needs it). */
  fileDeletedAt: Date | null;
}

export interface ArchiveDownload {
  fileName: string;
  sizeBytes: number;
  content: Readable;
}

function requirePermission(caller: CallerIdentity, allowed: readonly string[], what: string): void {
  if (!allowed.some((permission) => caller.permissions.includes(permission)))
    throw RpcErrors.permissionDenied(`${allowed.join(' or ')} permission is required to ${what}`);
}

function listing(archive: ArchiveRecord): ArchiveListing {
  const names = archiveFileNames(archive.day);
  return {
    day: archive.day,
    file: names.events,
    manifestFile: names.manifest,
    count: archive.count,
    firstSequence: archive.firstSequence,
    lastSequence: archive.lastSequence,
    sha256: archive.sha256,
    createdAt: archive.createdAt,
    deletableFrom: new Date(archive.createdAt.getTime() + ARCHIVE_MIN_AGE_DAYS * DAY_MS),
    fileDeletedAt: archive.fileDeletedAt,
  };
}

/**
 * Retention and archives for people: the retention setting (read with EventView or
 * AdministerSystem, changed with AdministerSystem), the archives list and downloads (EventView),
 * and deleting an archive's files (AdministerSystem, 30 days after it was made, oldest first).
 * Every change is recorded in the trail in the transaction that makes it.
 */
@Injectable()
export class AuditArchivesService {
  private readonly nodeName = defaultNodeName();

  constructor(
    @Inject(AuditArchiveRepository) private readonly archives: AuditArchiveRepository,
    @Inject(AuditEventRepository) private readonly events: Pick<AuditEventRepository, 'insertNewIn'>,
    @Inject(AUDIT_ARCHIVE_SETTINGS) private readonly settings: Pick<ArchiveSettings, 'directory'>,
  ) {}

  async retention(caller: CallerIdentity): Promise<RetentionSetting> {
    requirePermission(caller, [EVENT_VIEW, ADMINISTER_SYSTEM], 'read the audit retention');
    return this.archives.retention();
  }

  async setRetention(caller: CallerIdentity, days: number): Promise<RetentionSetting> {
    requirePermission(caller, [ADMINISTER_SYSTEM], 'change the audit retention');
    if (!Number.isInteger(days) || days < RETENTION_LIMITS.min || days > RETENTION_LIMITS.max)
      throw RpcErrors.invalidArgument(
        `retention must be a whole number of days from ${RETENTION_LIMITS.min} to ${RETENTION_LIMITS.max} (got ${days}): events older than it are archived and removed from the database`,
      );
    await this.archives.dataSource.transaction(async (manager) => {
      const previous = await this.archives.setRetentionIn(manager, days, caller.username);
      await this.audit(manager, caller, 'audit.retention-changed', 'AuditSettings', 'retention', {
        old: { retentionDays: previous },
        new: { retentionDays: days },
      });
    });
    return this.archives.retention();
  }

  async list(caller: CallerIdentity): Promise<ArchiveListing[]> {
    requirePermission(caller, [EVENT_VIEW], 'list the audit archives');
    return (await this.archives.archives()).map(listing);
  }

  /** Opens an archive's .jsonl (or its manifest) for streaming. */
  async open(caller: CallerIdentity, day: string, manifest: boolean): Promise<ArchiveDownload> {
    requirePermission(caller, [EVENT_VIEW], 'download audit archives');
    const archive = await this.existing(day);
    if (archive.fileDeletedAt)
      throw RpcErrors.notFound(`the archive of ${day} was deleted on ${archive.fileDeletedAt.toISOString()}`);
    const names = archiveFileNames(day);
    const fileName = manifest ? names.manifest : names.events;
    const path = safeJoin(this.settings.directory, fileName);
    const size = await stat(path).then(
      (stats) => stats.size,
      () => undefined,
    );
    if (size === undefined)
      throw RpcErrors.notFound(`${fileName} is recorded but not on shared storage (${EVENT_ARCHIVES_HINT})`);
    return { fileName, sizeBytes: size, content: createReadStream(path, { highWaterMark: 64 * 1024 }) };
  }

  /**
   * Deletes an archive's files from shared storage (its record stays, so verification still starts
   * after it). Only ARCHIVE_MIN_AGE_DAYS after it was made, and oldest first, so the archives left
   * on storage still form one unbroken chain of manifests.
   */
  async delete(caller: CallerIdentity, day: string): Promise<ArchiveListing> {
    requirePermission(caller, [ADMINISTER_SYSTEM], 'delete audit archives');
    await this.existing(day);
    await this.archives.dataSource.transaction(async (manager) => {
      const all = await this.archives.archives(manager);
      const archive = all.find((candidate) => candidate.day === day);
      if (!archive || archive.fileDeletedAt) return;
      const now = await this.archives.databaseNow(manager);
      const deletableFrom = listing(archive).deletableFrom;
      if (now < deletableFrom)
        throw RpcErrors.failedPrecondition(
          `the archive of ${day} was made on ${archive.createdAt.toISOString()} and can be deleted from ${deletableFrom.toISOString()} (${ARCHIVE_MIN_AGE_DAYS} days after it was made)`,
        );
      const older = all.find((candidate) => candidate.day < day && !candidate.fileDeletedAt);
      if (older)
        throw RpcErrors.failedPrecondition(
          `delete the older archive of ${older.day} first: archives are deleted oldest first, so the ones left keep an unbroken chain of manifests`,
        );
      await this.archives.markFileDeletedIn(manager, day, caller.username);
      await this.audit(manager, caller, 'audit.archive-deleted', 'AuditArchive', day, {
        file: archive.file,
        count: archive.count,
        firstSequence: archive.firstSequence,
        lastSequence: archive.lastSequence,
        sha256: archive.sha256,
      });
    });
    // After the commit: a crash here leaves files a repeated DELETE removes (the record says deleted).
    const names = archiveFileNames(day);
    await rm(safeJoin(this.settings.directory, names.events), { force: true });
    await rm(safeJoin(this.settings.directory, names.manifest), { force: true });
    return listing(await this.existing(day));
  }

  private async existing(day: string): Promise<ArchiveRecord> {
    if (!isArchiveDay(day)) throw RpcErrors.invalidArgument(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
    const archive = await this.archives.archive(day);
    if (!archive) throw RpcErrors.notFound(`no archive of ${day}`);
    return archive;
  }

  /** Records the change in the trail inside its transaction (this service is the trail). */
  private async audit(
    manager: EntityManager,
    caller: CallerIdentity,
    action: string,
    resourceType: string,
    resourceId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    const origin = clientOrigin(caller.clientIp, caller.forwardedFor);
    const what = { action, resourceType, resourceId };
    const event: AuditEventRow = {
      ...provenanceOf(caller, what, this.nodeName),
      id: randomUUID(),
      occurredAt: await this.archives.databaseNow(manager),
      actorId: caller.userId || 'anonymous',
      actorName: caller.username || 'anonymous',
      ...what,
      details: JSON.stringify(details),
      clientIp: origin.clientIp,
      forwardedFor: origin.forwardedFor,
      source: 'audit',
    };
    await this.events.insertNewIn(manager, [event]);
  }
}

const EVENT_ARCHIVES_HINT = 'restore it from a backup of EventArchives/';
