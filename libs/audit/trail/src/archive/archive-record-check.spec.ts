import { generateKeyPairSync } from 'node:crypto';

import { GENESIS_LINK } from '../chain/audit-chain';
import {
  auditManifestDigest,
  canonicalJson,
  signAuditManifest,
  SignedAuditManifest,
} from '../chain/audit-manifest';
import { checkRecordedArchives, RecordedArchive } from './archive-record-check';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const link = (n: number) => String(n).padStart(64, '0');

/** Recorded archives of consecutive days, each `per` events, as the archiver records them. */
function recorded(days: number, per: number): RecordedArchive[] {
  const out: RecordedArchive[] = [];
  let previous: SignedAuditManifest | undefined;
  for (let i = 0; i < days; i++) {
    const first = i * per + 1;
    const last = first + per - 1;
    const manifest = signAuditManifest(privateKey, {
      kind: 'archive',
      file: `events-2026-01-0${i + 1}.jsonl`,
      count: per,
      firstSequence: first,
      lastSequence: last,
      sha256: 'a'.repeat(64),
      previousManifestSha256: previous ? auditManifestDigest(previous) : '',
      createdAt: '2026-04-01T00:00:00.000Z',
      day: `2026-01-0${i + 1}`,
      previousChainHash: i === 0 ? GENESIS_LINK : link(first - 1),
      lastChainHash: link(last),
      throughSequence: last,
      recordedBefore: `2026-01-0${i + 2}T00:00:00.000Z`,
    });
    out.push({
      day: `2026-01-0${i + 1}`,
      count: per,
      firstSequence: first,
      lastSequence: last,
      throughSequence: last,
      previousChainHash: i === 0 ? GENESIS_LINK : link(first - 1),
      lastChainHash: link(last),
      sha256: 'a'.repeat(64),
      manifest: canonicalJson(manifest),
    });
    previous = manifest;
  }
  return out;
}

describe('checking the recorded archives', () => {
  it('gives where the database chain starts: the newest archive end', () => {
    expect(checkRecordedArchives(publicKey, recorded(3, 10))).toEqual({
      anchor: { day: '2026-01-03', throughSequence: 30, lastChainHash: link(30), archives: 3 },
    });
    expect(checkRecordedArchives(publicKey, [])).toEqual({});
  });

  it('reports a row whose range was widened in the database (to let the trigger delete more)', () => {
    const archives = recorded(3, 10);
    archives[2] = { ...archives[2], lastSequence: 45 };
    expect(checkRecordedArchives(publicKey, archives).problem?.message).toContain(
      'is recorded with lastSequence 45 but its signed manifest says 30',
    );
  });

  it('reports a forged manifest and a removed middle record', () => {
    const forged = recorded(3, 10);
    forged[1] = { ...forged[1], manifest: forged[1].manifest.replace('"count":10', '"count":11') };
    expect(checkRecordedArchives(publicKey, forged).problem).toMatchObject({
      day: '2026-01-02',
      message: expect.stringContaining('does not verify') as string,
    });
    const gap = recorded(3, 10);
    gap.splice(1, 1);
    expect(checkRecordedArchives(publicKey, gap).problem?.message).toContain(
      'does not name the archive before it',
    );
    const oldestRemoved = recorded(3, 10).slice(1);
    expect(checkRecordedArchives(publicKey, oldestRemoved).problem?.message).toContain(
      'names an earlier archive',
    );
  });
});
