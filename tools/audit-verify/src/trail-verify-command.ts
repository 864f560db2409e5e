import type { KeyObject } from 'node:crypto';

import type { DataSource } from 'typeorm';

import {
  AuditArchiveRepository,
  AuditChainSource,
  AuditChainVerification,
  AuditEventRepository,
  verifyAuditChain,
} from '@flotilla/audit/trail';

/** Where the command writes: progress and the answer on `log`, nothing else. */
export interface TrailVerifyOutput {
  log(line: string): void;
}

export interface TrailVerifyKeys {
  chainKey: Buffer;
  checkpointPublicKey: KeyObject;
}

/** A progress line at most this often: a million events is a thousand pages. */
const PROGRESS_EVERY_MS = 2000;

/**
 * Verifies the audit chain stored in the database, as `GET /api/events/verification` does, but
 * from an operator's shell with no cluster running (the database and the PKI folder's audit keys
 * are all it needs), printing progress as it reads and how long it took. Exit code 0 when intact,
 * 1 at the first break (named).
 */
export async function verifyTrailInDatabase(
  dataSource: DataSource,
  keys: TrailVerifyKeys,
  checkpointIntervalMs: number,
  out: TrailVerifyOutput,
  now: () => number = Date.now,
): Promise<number> {
  const events = new AuditEventRepository(dataSource, keys.chainKey);
  const startedAt = now();
  let lastProgressAt = startedAt;
  let read = 0;
  // The repository, with a line of progress now and then as the pages go by.
  const source: AuditChainSource = {
    chainHead: () => events.chainHead(),
    unchainedSince: (since) => events.unchainedSince(since),
    latestCheckpoint: () => events.latestCheckpoint(),
    chainPage: async (after, take) => {
      const page = await events.chainPage(after, take);
      read += page.length;
      const last = page.at(-1);
      if (last && now() - lastProgressAt >= PROGRESS_EVERY_MS) {
        lastProgressAt = now();
        out.log(
          `… #${last.sequence} reached, ${read.toLocaleString('en')} events read in ${seconds(lastProgressAt - startedAt)}`,
        );
      }
      return page;
    },
  };
  const result = await verifyAuditChain(source, keys.chainKey, {
    checkpointPublicKey: keys.checkpointPublicKey,
    checkpointIntervalMs,
    archives: new AuditArchiveRepository(dataSource),
  });
  for (const line of describe(result, now() - startedAt, read)) out.log(line);
  return result.intact ? 0 : 1;
}

function describe(result: AuditChainVerification, elapsedMs: number, read: number): string[] {
  const rate =
    elapsedMs > 0 ? ` (${Math.round((read / elapsedMs) * 1000).toLocaleString('en')} events/s)` : '';
  const lines = [
    `chain head #${result.headSequence}, begun ${result.beganAt.toISOString()}`,
    ...(result.archivedThrough
      ? [
          `archives: ${result.archivedThrough.archives} checked, the database's chain continues after #${result.archivedThrough.sequence} (${result.archivedThrough.day})`,
        ]
      : []),
    ...(result.checkpoint
      ? [
          `newest checkpoint: #${result.checkpoint.sequence}, signed ${result.checkpoint.signedAt.toISOString()} by ${result.checkpoint.nodeName}`,
        ]
      : []),
    `${result.verifiedEvents.toLocaleString('en')} events verified in ${seconds(elapsedMs)}${rate}`,
  ];
  const found = result.firstBreak;
  lines.push(found ? `BROKEN (${found.kind}): ${found.message}` : 'intact');
  return lines;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
