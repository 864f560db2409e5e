import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { EntityManager } from 'typeorm';

import { publishAtomically, safeJoin, tempPathBeside } from '@flotilla/platform/storage';

import type { AuditEventRepository } from '../audit-event.repository';
import { auditChainLink, ChainedAuditEvent, GENESIS_LINK } from '../chain/audit-chain';
import {
  auditManifestDigest,
  canonicalJson,
  signAuditManifest,
  type SignedAuditManifest,
} from '../chain/audit-manifest';
import type { AuditTrailKeys } from '../chain/audit-trail-keys';
import {
  archiveFileNames,
  archiveLine,
  ArchivedEventLine,
  dayIsPastRetention,
  endOfDay,
  SignedArchiveManifest,
  utcDayOf,
} from './archive-format';
import { ArchiveLease, HeldArchiveLease } from './archive-lease';
import { ARCHIVE_DELETE_CHUNK, ArchiveRecord, AuditArchiveRepository } from './audit-archive.repository';

/** The archiver refuses to move events whose chain does not verify: that would launder tampering. */
export class ArchiveRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveRefused';
  }
}

export interface ArchiverOptions {
  /** The folder the archives are written to (shared storage's EventArchives/). */
  directory: string;
  nodeName: string;
  /** TEST ONLY: a pause after each archived day, so a test can kill the archiver mid-run. */
  pauseAfterDayMs?: number;
  /** Events per DELETE transaction (default ARCHIVE_DELETE_CHUNK). */
  deleteChunk?: number;
  /**
   * Called after each durable step (the .jsonl in place, the archive recorded, a chunk of events
   * deleted): the seam crash tests throw from, to stop a run exactly there.
   */
  afterStep?: (step: ArchiveStep, day: string) => void;
  log?: (line: string) => void;
}

export type ArchiveStep = 'file-written' | 'recorded' | 'chunk-deleted';

export interface ArchivedDay {
  day: string;
  file: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
}

const PAGE = 2000;

/** A chained event read back as an archive line: every field it carries, numbers and link as stored. */
function chainedLine(event: ChainedAuditEvent): ArchivedEventLine {
  const { sequence, chainHash, clientIpKey, ...rest } = event;
  const line: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest))
    line[key] = value instanceof Date ? value.toISOString() : value;
  return {
    ...(line as Omit<ArchivedEventLine, 'clientIpKey' | 'sequenceNumber' | 'chainHash'>),
    clientIpKey,
    sequenceNumber: sequence,
    chainHash,
  };
}

/**
 * Moves events older than the retention period out of the database, one UTC day at a time, oldest
 * first, to `events-YYYY-MM-DD.jsonl` with a signed `events-YYYY-MM-DD.manifest.json`, under the
 * cluster's one archiving lease.
 *
 * Which events make a day: the chain decides, not the clocks. recorded_at (database time read
 * under the chain lock, so it does not decrease along the chain) picks the day; the archive then
 * takes every chain number after the previous archive's end up to the one before the first event
 * recorded at or after the day's end. So archives cover consecutive, disjoint ranges of numbers
 * whatever occurred_at says (an event that happened on the 1st but was relayed on the 2nd is in the
 * 2nd's archive), and no number is skipped or taken twice.
 *
 * Crash safety, step by step (each a fenced transaction or an atomic file publication): (1) the
 * .jsonl is written to a temp file, fsynced, and renamed into place under the lease only while the
 * day is not recorded yet; (2) the signed manifest is recorded in `audit_archives` (the day is the
 * key: a day is recorded once); (3) the manifest file is written from that record; (4) the events
 * are deleted in chunks (the trigger allows only recorded ranges), then the record is marked
 * purged. A run first finishes every recorded archive that is not purged (steps 3 and 4), so a
 * crash anywhere is completed by the next run on any node; a crash before (2) just writes the day
 * again.
 */
export class AuditArchiver {
  constructor(
    private readonly archives: AuditArchiveRepository,
    private readonly events: Pick<AuditEventRepository, 'chainPage'>,
    private readonly lease: ArchiveLease,
    private readonly keys: AuditTrailKeys,
    private readonly options: ArchiverOptions,
  ) {}

  /**
   * Takes the lease if free and archives every day that is due; returns what it archived, or
   * undefined when another audit service holds the lease.
   */
  async runOnce(): Promise<ArchivedDay[] | undefined> {
    const held = await this.lease.tryAcquire(this.options.nodeName);
    if (!held) return undefined;
    try {
      return await this.archiveDue(held);
    } finally {
      await this.lease.release(held).catch(() => undefined);
    }
  }

  /** The work of one run under a held lease. */
  async archiveDue(held: HeldArchiveLease): Promise<ArchivedDay[]> {
    for (const archive of await this.archives.archives()) {
      if (archive.purgedAt === null) await this.finish(held, archive);
    }
    const done: ArchivedDay[] = [];
    for (;;) {
      const day = await this.nextDueDay();
      if (!day) return done;
      done.push(await this.archiveDay(held, day));
      if (this.options.pauseAfterDayMs) await new Promise((r) => setTimeout(r, this.options.pauseAfterDayMs));
    }
  }

  /** The oldest day with events left that lies wholly before the retention cut-off, if any. */
  private async nextDueDay(): Promise<{ day: string; previous?: ArchiveRecord } | undefined> {
    const [{ days }, now, recorded] = await Promise.all([
      this.archives.retention(),
      this.archives.databaseNow(),
      this.archives.archives(),
    ]);
    const previous = recorded.at(-1);
    const [next, preChain] = await Promise.all([
      this.archives.nextChained(previous?.throughSequence ?? 0),
      this.archives.oldestPreChain(),
    ]);
    const oldest = [next?.recordedAt, preChain].filter((d): d is Date => d !== undefined);
    if (oldest.length === 0) return undefined;
    let day = utcDayOf(new Date(Math.min(...oldest.map((d) => d.getTime()))));
    // An event recorded within a day already archived (the database clock stepped back) goes
    // into the next day's archive: a day is archived once.
    if (previous && day <= previous.day) day = utcDayOf(endOfDay(previous.day));
    return dayIsPastRetention(day, now, days) ? { day, previous } : undefined;
  }

  private async archiveDay(
    held: HeldArchiveLease,
    due: { day: string; previous?: ArchiveRecord },
  ): Promise<ArchivedDay> {
    const { day, previous } = due;
    const started = Date.now();
    const recordedBefore = endOfDay(day);
    const through = previous?.throughSequence ?? 0;
    const first = through + 1;
    const last = await this.archives.lastSequenceBefore(recordedBefore, through);
    const names = archiveFileNames(day);
    // Made when first needed: a service with nothing to archive leaves shared storage alone.
    await mkdir(this.options.directory, { recursive: true });
    const target = safeJoin(this.options.directory, names.events);
    const written = await this.writeEvents(
      held,
      target,
      day,
      recordedBefore,
      first,
      last,
      previous?.lastChainHash ?? GENESIS_LINK,
    );
    this.options.afterStep?.('file-written', day);
    const chained = last >= first;
    const record = await this.lease.fenced(held, async (manager) => {
      const createdAt = await this.archives.databaseNow(manager);
      const manifest = signAuditManifest(this.keys.checkpoint.privateKey, {
        kind: 'archive',
        file: names.events,
        count: written.count,
        firstSequence: chained ? first : null,
        lastSequence: chained ? last : null,
        sha256: written.sha256,
        previousManifestSha256: previous
          ? auditManifestDigest(JSON.parse(previous.manifest) as SignedAuditManifest)
          : '',
        createdAt: createdAt.toISOString(),
        day,
        previousChainHash: previous?.lastChainHash ?? GENESIS_LINK,
        lastChainHash: written.lastLink,
        throughSequence: chained ? last : through,
        recordedBefore: recordedBefore.toISOString(),
      }) as SignedArchiveManifest;
      await this.archives.insertArchiveIn(manager, manifest, canonicalJson(manifest));
      return (await this.archives.archives(manager)).find((archive) => archive.day === day);
    });
    if (!record) throw new Error(`the archive of ${day} was recorded but cannot be read back`);
    this.options.afterStep?.('recorded', day);
    await this.finish(held, record);
    const summary: ArchivedDay = {
      day,
      file: names.events,
      count: written.count,
      firstSequence: record.firstSequence,
      lastSequence: record.lastSequence,
    };
    const range = chained ? `#${first}..#${last}` : 'no chained events';
    this.options.log?.(
      `audit archive: ${names.events} holds ${written.count} events (${range}), moved out of the database in ${Date.now() - started} ms`,
    );
    return summary;
  }

  /**
   * Writes the day's events to a temp file (pre-chain ones first, then chain numbers first..last,
   * each link checked with the chain key), fsyncs it and renames it into place under the lease
   * while the day is still unrecorded.
   */
  private async writeEvents(
    held: HeldArchiveLease,
    target: string,
    day: string,
    recordedBefore: Date,
    first: number,
    last: number,
    previousLink: string,
  ): Promise<{ count: number; sha256: string; lastLink: string }> {
    const temp = tempPathBeside(target);
    const hash = createHash('sha256');
    let count = 0;
    let link = previousLink;
    const file = await open(temp, 'w');
    try {
      const write = async (lines: ArchivedEventLine[]): Promise<void> => {
        if (lines.length === 0) return;
        const bytes = Buffer.from(lines.map(archiveLine).join(''), 'utf8');
        hash.update(bytes);
        await file.write(bytes);
        count += lines.length;
      };
      for await (const page of this.archives.preChainEvents(recordedBefore)) await write(page);
      let expected = first;
      while (expected <= last) {
        const page = (await this.events.chainPage(expected - 1, PAGE)).filter(
          (event) => event.sequence <= last,
        );
        if (page.length === 0) break;
        for (const event of page) {
          if (event.sequence !== expected)
            throw new ArchiveRefused(
              `event #${expected} is missing from the chain: ${day} is not archived; verify the trail`,
            );
          if (auditChainLink(this.keys.chainKey, link, event) !== event.chainHash)
            throw new ArchiveRefused(
              `event #${expected} does not match its link: ${day} is not archived; verify the trail`,
            );
          link = event.chainHash;
          expected++;
        }
        await write(page.map(chainedLine));
        // Long days take many pages: renewing after each keeps a working holder's lease alive and
        // stops a holder that lost it at once, not at its next write.
        await this.lease.renew(held);
      }
      if (expected <= last)
        throw new ArchiveRefused(
          `event #${expected} is missing from the chain: ${day} is not archived; verify the trail`,
        );
      await file.sync();
      await file.close();
      await this.lease.fenced(held, async (manager) => {
        if ((await this.archives.archives(manager)).some((archive) => archive.day === day))
          throw new Error(`${day} was archived by another audit service meanwhile`);
        await rename(temp, target);
        await fsyncFolder(dirname(target));
      });
      return { count, sha256: hash.digest('hex'), lastLink: link };
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Steps 3 and 4 of a recorded archive: the manifest file from the record, then the purge. */
  private async finish(held: HeldArchiveLease, archive: ArchiveRecord): Promise<void> {
    if (archive.fileDeletedAt === null) await this.writeManifestFile(archive);
    if (archive.firstSequence !== null && archive.lastSequence !== null) {
      const chunk = this.options.deleteChunk ?? ARCHIVE_DELETE_CHUNK;
      for (let from = archive.firstSequence; from <= archive.lastSequence; from += chunk) {
        const to = Math.min(archive.lastSequence, from + chunk - 1);
        await this.lease.fenced(held, (manager) => this.archives.deleteChainedIn(manager, from, to));
        this.options.afterStep?.('chunk-deleted', archive.day);
      }
    }
    await this.lease.fenced(held, async (manager: EntityManager) => {
      await this.archives.deletePreChainIn(manager, archive.recordedBefore);
      await this.archives.markPurgedIn(manager, archive.day);
    });
  }

  /** The manifest exactly as recorded, published atomically (rewritten only when it differs). */
  private async writeManifestFile(archive: ArchiveRecord): Promise<void> {
    const target = safeJoin(this.options.directory, archiveFileNames(archive.day).manifest);
    const content = `${archive.manifest}\n`;
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === content) return;
    await publishAtomically(target, async (temp) => {
      const file = await open(temp, 'w');
      try {
        await file.write(content);
      } finally {
        await file.close();
      }
    });
  }
}

async function fsyncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
