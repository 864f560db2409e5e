import type { KeyObject } from 'node:crypto';

import { GENESIS_LINK } from '../chain/audit-chain';
import {
  auditManifestDigest,
  auditManifestSignatureValid,
  SignedAuditManifest,
} from '../chain/audit-manifest';
import type { SignedArchiveManifest } from './archive-format';

/** What verification needs of a recorded archive (audit_archives' row). */
export interface RecordedArchive {
  day: string;
  count: number;
  firstSequence: number | null;
  lastSequence: number | null;
  throughSequence: number;
  previousChainHash: string;
  lastChainHash: string;
  sha256: string;
  manifest: string;
}

/** Where the chain in the database starts: after the newest archive. */
export interface ArchiveAnchor {
  day: string;
  /** The chain's number at the newest archive's end (its events are no longer in the database). */
  throughSequence: number;
  lastChainHash: string;
  archives: number;
}

export type ArchiveCheck = {
  anchor?: ArchiveAnchor;
  problem?: { day: string; sequence: number; message: string };
};

function parseManifest(json: string): SignedArchiveManifest | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' ? (value as SignedArchiveManifest) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the recorded archives, oldest first: each signed manifest verifies with the checkpoint
 * public key and says what its row says, names the previous one's digest, and continues the chain
 * where the previous one ended (numbers and link). Returns the newest one's end, where the chain
 * still in the database must start, or the first problem. A row added or edited in the database
 * (to let the trigger delete unarchived events) has no valid signature and is reported.
 */
export function checkRecordedArchives(
  publicKey: KeyObject,
  archives: readonly RecordedArchive[],
): ArchiveCheck {
  const ordered = [...archives].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  let through = 0;
  let link = GENESIS_LINK;
  let previous: SignedAuditManifest | undefined;
  for (const archive of ordered) {
    const fail = (message: string) => ({
      problem: {
        day: archive.day,
        sequence: archive.firstSequence ?? through + 1,
        message: `the archive of ${archive.day} ${message}`,
      },
    });
    const manifest = parseManifest(archive.manifest);
    if (!manifest) return fail('has no readable signed manifest in audit_archives');
    if (manifest.kind !== 'archive' || !auditManifestSignatureValid(publicKey, manifest))
      return fail(
        "has a manifest that does not verify with the cluster's checkpoint key: forged or changed in the database",
      );
    const stated: [string, unknown, unknown][] = [
      ['day', manifest.day, archive.day],
      ['count', manifest.count, archive.count],
      ['firstSequence', manifest.firstSequence, archive.firstSequence],
      ['lastSequence', manifest.lastSequence, archive.lastSequence],
      ['throughSequence', manifest.throughSequence, archive.throughSequence],
      ['previousChainHash', manifest.previousChainHash, archive.previousChainHash],
      ['lastChainHash', manifest.lastChainHash, archive.lastChainHash],
      ['sha256', manifest.sha256, archive.sha256],
    ];
    for (const [field, signed, row] of stated) {
      if (signed !== row)
        return fail(
          `is recorded with ${field} ${JSON.stringify(row)} but its signed manifest says ${JSON.stringify(signed)}: changed in the database`,
        );
    }
    const expectedDigest = previous ? auditManifestDigest(previous) : '';
    if (manifest.previousManifestSha256 !== expectedDigest)
      return fail(
        previous
          ? 'does not name the archive before it: an archive record was removed'
          : 'names an earlier archive that is not recorded: an archive record was removed',
      );
    const continues =
      manifest.previousChainHash === link &&
      (manifest.firstSequence === null
        ? manifest.throughSequence === through
        : manifest.firstSequence === through + 1 && manifest.throughSequence === manifest.lastSequence);
    if (!continues)
      return fail(
        `does not continue the chain where the archive before it ended (#${through}): an archive record was removed or changed`,
      );
    through = manifest.throughSequence;
    link = manifest.lastChainHash;
    previous = manifest;
  }
  const newest = ordered.at(-1);
  return newest
    ? { anchor: { day: newest.day, throughSequence: through, lastChainHash: link, archives: ordered.length } }
    : {};
}
