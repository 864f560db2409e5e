import type { KeyObject } from 'node:crypto';

import { auditChainLink, ChainedAuditEvent, GENESIS_LINK } from './audit-chain';
import { AuditCheckpoint, checkpointSignatureValid } from './audit-checkpoint';
import { ArchiveAnchor, checkRecordedArchives, RecordedArchive } from '../archive/archive-record-check';

/** What verification reads: the repository's chain queries. */
export interface AuditChainSource {
  chainHead(): Promise<{ sequence: number; link: string; beganAt: Date }>;
  chainPage(afterSequence: number, take: number): Promise<ChainedAuditEvent[]>;
  unchainedSince(since: Date): Promise<number>;
  latestCheckpoint(): Promise<{ checkpoint?: AuditCheckpoint; now: Date }>;
}

/** What verification checks against besides the chain key. */
export interface AuditChainVerifyOptions {
  /** The cluster's checkpoint public key (audit/checkpoint.pub). */
  checkpointPublicKey: KeyObject;
  /** How often checkpoints are written: a newest one older than twice this is reported. */
  checkpointIntervalMs: number;
  pageSize?: number;
  /**
   * The recorded archives (audit_archives): the chain in the database starts after the newest one,
   * whose signed manifest gives the number and link to start from. Absent: no archives.
   */
  archives?: { archives(): Promise<RecordedArchive[]> };
}

/** The first place the stored trail is not what the audit service wrote. */
export type AuditChainBreak =
  /** The event's stored link is not the link of its content: it, or its number, was edited. */
  | { kind: 'edited'; sequence: number; eventId: string; message: string }
  /** A number is missing: the event was removed. */
  | { kind: 'missing'; sequence: number; message: string }
  /** The newest events disagree with the chain head (removed from the end, or added past it). */
  | { kind: 'head'; sequence: number; message: string }
  /** Events with no link stored after the chain began: inserted behind the audit service's back. */
  | { kind: 'unchained'; count: number; message: string }
  /**
   * The newest signed checkpoint disagrees with the chain (newest events removed and the head
   * rolled back with them), does not verify, is missing or is too old (checkpoints removed).
   */
  | { kind: 'checkpoint'; sequence: number; message: string }
  /**
   * A recorded archive's signed manifest does not verify, disagrees with its row, or does not
   * continue the chain from the archive before it (a record forged, changed or removed).
   */
  | { kind: 'archive'; sequence: number; message: string };

export interface AuditChainVerification {
  intact: boolean;
  /** Chained events read before the first break (all of them when intact). */
  verifiedEvents: number;
  /** The chain head's number: how many events the audit service chained. */
  headSequence: number;
  /** When the chain began; events stored before it carry no link. */
  beganAt: Date;
  firstBreak?: AuditChainBreak;
  /** The newest signed checkpoint the chain was checked against, if any. */
  checkpoint?: { sequence: number; signedAt: Date; nodeName: string };
  /** The newest archive the database's chain was checked to continue from, if any. */
  archivedThrough?: { day: string; sequence: number; archives: number };
}

const PAGE = 1000;

/**
 * How often verification reads the head again when the chain it walked ends past the head it
 * read first: on a busy cluster events are appended while the chain is read.
 */
const HEAD_REREADS = 5;

/**
 * Walks the chain from 1 (or from after the newest recorded archive, whose signed manifest is
 * checked first) in pages, recomputing each link with the key, and reports the first break.
 * Catches an edited, removed or inserted event anywhere, and the newest events removed as long as
 * the chain head was not rolled back with them (the signed checkpoints cover that case).
 *
 * A live trail moves while it is read, and neither move is a break: events appended meanwhile
 * (the walk goes on to the head as read again), and a day archived meanwhile (its events left the
 * database after the archives were read: verification starts again once, from the new archive).
 */
export async function verifyAuditChain(
  source: AuditChainSource,
  key: Buffer,
  options: AuditChainVerifyOptions,
): Promise<AuditChainVerification> {
  const first = await verifyOnce(source, key, options);
  const gone = first.firstBreak;
  if (gone?.kind !== 'missing' || !options.archives) return first;
  const archivedNow = Math.max(0, ...(await options.archives.archives()).map((a) => a.throughSequence));
  return archivedNow >= gone.sequence ? verifyOnce(source, key, options) : first;
}

async function verifyOnce(
  source: AuditChainSource,
  key: Buffer,
  options: AuditChainVerifyOptions,
): Promise<AuditChainVerification> {
  const pageSize = options.pageSize ?? PAGE;
  const { checkpoint, now } = await source.latestCheckpoint();
  let head = await source.chainHead();
  const archiveCheck = checkRecordedArchives(
    options.checkpointPublicKey,
    options.archives ? await options.archives.archives() : [],
  );
  const anchor: ArchiveAnchor | undefined = archiveCheck.anchor;
  const result = (verifiedEvents: number, firstBreak?: AuditChainBreak): AuditChainVerification => ({
    intact: firstBreak === undefined,
    verifiedEvents,
    headSequence: head.sequence,
    beganAt: head.beganAt,
    ...(firstBreak ? { firstBreak } : {}),
    ...(checkpoint
      ? {
          checkpoint: {
            sequence: checkpoint.sequence,
            signedAt: checkpoint.signedAt,
            nodeName: checkpoint.nodeName,
          },
        }
      : {}),
    ...(anchor
      ? { archivedThrough: { day: anchor.day, sequence: anchor.throughSequence, archives: anchor.archives } }
      : {}),
  });
  if (archiveCheck.problem) {
    const { sequence, message } = archiveCheck.problem;
    return result(0, { kind: 'archive', sequence, message });
  }
  // Archived events left the database; the chain continues from the newest archive's end, whose
  // signed manifest vouches for the link there. A checkpoint at or before that end was checked
  // when its events were archived (the archiver refuses a chain that does not verify).
  const archivedThrough = anchor?.throughSequence ?? 0;
  let link = anchor?.lastChainHash ?? GENESIS_LINK;
  let linkAtCheckpoint =
    checkpoint === undefined
      ? undefined
      : checkpoint.sequence === archivedThrough
        ? link
        : checkpoint.sequence < archivedThrough
          ? checkpoint.chainHash
          : undefined;
  let expected = archivedThrough + 1;
  /** Walks from `expected` to the end of what is stored now; the first break, if any. */
  const walk = async (): Promise<AuditChainBreak | undefined> => {
    for (;;) {
      const page = await source.chainPage(expected - 1, pageSize);
      for (const event of page) {
        if (event.sequence !== expected) {
          return {
            kind: 'missing',
            sequence: expected,
            message:
              expected === archivedThrough + 1 && archivedThrough > 0
                ? `event #${expected} is missing (the newest archive ends at #${archivedThrough}, the database's chain starts at #${event.sequence}): removed from the database without an archive`
                : `event #${expected} is missing (the chain goes from #${expected - 1} to #${event.sequence}): removed from the database`,
          };
        }
        if (auditChainLink(key, link, event) !== event.chainHash) {
          return {
            kind: 'edited',
            sequence: expected,
            eventId: event.id,
            message: `event #${expected} (${event.id}) does not match its link: changed in the database after it was stored`,
          };
        }
        link = event.chainHash;
        if (event.sequence === checkpoint?.sequence) linkAtCheckpoint = link;
        expected++;
      }
      if (page.length < pageSize) return undefined;
    }
  };
  let broken = await walk();
  // Past the head read at the start: events appended while the chain was read move the head in
  // the same transaction, so read it again and walk on to it. A head that did not move means the
  // rows past it were added behind the audit service's back (reported below).
  for (let reread = 0; !broken && expected - 1 > head.sequence && reread < HEAD_REREADS; reread++) {
    const newer = await source.chainHead();
    if (newer.sequence === head.sequence) break;
    head = newer;
    broken = await walk();
  }
  if (broken) return result(expected - 1 - archivedThrough, broken);
  const last = expected - 1;
  if (last !== head.sequence || link !== head.link) {
    const message =
      last < head.sequence
        ? `the chain ends at #${last} but the audit service chained ${head.sequence}: the newest events were removed`
        : `the chain ends at #${last}, beyond the head's #${head.sequence}: events were added, or the head changed`;
    return result(last - archivedThrough, { kind: 'head', sequence: last, message });
  }
  const checkpointBreak = checkpointProblem(checkpoint, last, linkAtCheckpoint, now, options);
  if (checkpointBreak) return result(last - archivedThrough, checkpointBreak);
  const unchained = await source.unchainedSince(head.beganAt);
  if (unchained > 0) {
    return result(last - archivedThrough, {
      kind: 'unchained',
      count: unchained,
      message: `${unchained} event(s) without a link were stored after the chain began: inserted outside the audit service`,
    });
  }
  return result(last - archivedThrough);
}

/** What is wrong with the newest checkpoint against a chain intact up to `last`, if anything. */
function checkpointProblem(
  checkpoint: AuditCheckpoint | undefined,
  last: number,
  linkAtCheckpoint: string | undefined,
  now: Date,
  options: AuditChainVerifyOptions,
): AuditChainBreak | undefined {
  const problem = (sequence: number, message: string): AuditChainBreak => ({
    kind: 'checkpoint',
    sequence,
    message,
  });
  if (!checkpoint) {
    return problem(
      last,
      'no signed checkpoint: they were removed, or no audit service has run since the chain began',
    );
  }
  const signed = `the checkpoint signed at ${checkpoint.signedAt.toISOString()} by ${checkpoint.nodeName || 'an audit service'}`;
  if (!checkpointSignatureValid(options.checkpointPublicKey, checkpoint)) {
    return problem(
      checkpoint.sequence,
      `${signed} does not verify with the cluster's checkpoint key: forged or changed`,
    );
  }
  if (checkpoint.sequence > last) {
    return problem(
      last,
      `${signed} says the chain had ${checkpoint.sequence} events; it has ${last}: the newest events were removed and the head rolled back`,
    );
  }
  if (linkAtCheckpoint !== checkpoint.chainHash) {
    return problem(
      checkpoint.sequence,
      `the chain's link at #${checkpoint.sequence} is not the one ${signed} covers: the chain was rewritten`,
    );
  }
  const ageMs = now.getTime() - checkpoint.signedAt.getTime();
  if (ageMs > 2 * options.checkpointIntervalMs) {
    return problem(
      checkpoint.sequence,
      `the newest checkpoint is ${duration(ageMs)} old while one is written every ` +
        `${duration(options.checkpointIntervalMs)}: newer ones were removed, or no audit service has been running`,
    );
  }
  return undefined;
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
