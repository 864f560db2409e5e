import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  archiveLine,
  type ArchivedEventLine,
  auditManifestDigest,
  canonicalJson,
  signAuditManifest,
  type SignedAuditManifest,
} from '@flotilla/audit/trail';

import { checkArchive, checkArchiveFolder, checkAuditFiles, checkExport } from './audit-file-checks';
import { runAuditVerify } from './audit-verify-command';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function event(sequence: number | null): ArchivedEventLine {
  return {
    id: `id-${String(sequence)}-${Math.random()}`,
    occurredAt: '2026-01-01T10:00:00.000Z',
    recordedAt: '2026-01-01T10:00:00.001Z',
    actorId: 'u1',
    actorName: 'Alice',
    action: 'project.created',
    resourceType: 'Project',
    resourceId: 'p1',
    details: '{"name":"Web"}',
    clientIp: '192.0.2.7',
    source: 'spec',
    forwardedFor: '',
    clientIpKey: null,
    sequenceNumber: sequence,
    chainHash: sequence === null ? null : 'a'.repeat(64),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Writes events-<day>.jsonl and its signed manifest; returns the manifest. */
async function writeArchive(
  folder: string,
  day: string,
  sequences: (number | null)[],
  previous: SignedAuditManifest | undefined,
  key: KeyObject = privateKey,
  stated: Partial<SignedAuditManifest> = {},
): Promise<SignedAuditManifest> {
  const text = sequences.map((s) => archiveLine(event(s))).join('');
  const numbered = sequences.filter((s): s is number => s !== null);
  const manifest = signAuditManifest(key, {
    kind: 'archive',
    file: `events-${day}.jsonl`,
    count: sequences.length,
    firstSequence: numbered[0] ?? null,
    lastSequence: numbered.at(-1) ?? null,
    sha256: sha256(text),
    previousManifestSha256: previous ? auditManifestDigest(previous) : '',
    createdAt: '2026-04-01T00:00:00.000Z',
    day,
    ...stated,
  });
  await writeFile(join(folder, `events-${day}.jsonl`), text);
  await writeFile(join(folder, `events-${day}.manifest.json`), `${canonicalJson(manifest)}\n`);
  return manifest;
}

async function writeExport(
  path: string,
  sequences: number[],
  stated: Partial<SignedAuditManifest> = {},
): Promise<void> {
  const text = sequences.map((s) => archiveLine(event(s))).join('');
  const manifest = signAuditManifest(privateKey, {
    kind: 'export',
    file: 'export.jsonl',
    count: sequences.length,
    firstSequence: Math.min(...sequences),
    lastSequence: Math.max(...sequences),
    sha256: sha256(text),
    previousManifestSha256: '',
    createdAt: '2026-04-01T00:00:00.000Z',
    ...stated,
  });
  await writeFile(path, `${text}${JSON.stringify({ manifest })}\n`);
}

describe('offline audit file checks', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'audit-verify-'));
    const first = await writeArchive(folder, '2026-01-01', [null, null, ...range(1, 5)], undefined);
    const second = await writeArchive(folder, '2026-01-02', range(6, 9), first);
    await writeArchive(folder, '2026-01-03', range(10, 12), second);
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  const flipByte = async (path: string, at: number): Promise<void> => {
    const bytes = await readFile(path);
    bytes[at] ^= 0x01;
    await writeFile(path, bytes);
  };

  it('passes an intact folder of archives, saying what it checked', async () => {
    const result = await checkArchiveFolder(folder, publicKey);
    expect(result.problem).toBeUndefined();
    expect(result.checked).toEqual(
      expect.arrayContaining([
        'events-2026-01-01.jsonl: 7 events, #1..#5 with no gap',
        'events-2026-01-03.jsonl: follows events-2026-01-02.jsonl',
      ]),
    );
  });

  it('names the file whose bytes changed (one byte flipped)', async () => {
    await flipByte(join(folder, 'events-2026-01-02.jsonl'), 40);
    const result = await checkArchiveFolder(folder, publicKey);
    expect(result.problem).toMatch(/^events-2026-01-02\.jsonl: its SHA-256 is .* the file was changed$/);
  });

  it('refuses a changed manifest: its signature no longer verifies', async () => {
    const path = join(folder, 'events-2026-01-02.manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8')) as SignedAuditManifest;
    await writeFile(path, JSON.stringify({ ...manifest, count: 3 }));
    expect((await checkArchive(join(folder, 'events-2026-01-02.jsonl'), publicKey)).problem).toContain(
      "the manifest's signature does not verify",
    );
  });

  it('refuses a manifest signed with another key', async () => {
    const other = generateKeyPairSync('ed25519');
    await writeArchive(folder, '2026-01-02', range(6, 9), undefined, other.privateKey);
    expect((await checkArchiveFolder(folder, publicKey)).problem).toContain('events-2026-01-02.jsonl');
  });

  it('finds a middle archive removed from the folder', async () => {
    await rm(join(folder, 'events-2026-01-02.jsonl'));
    await rm(join(folder, 'events-2026-01-02.manifest.json'));
    expect((await checkArchiveFolder(folder, publicKey)).problem).toContain(
      "events-2026-01-03.jsonl: its manifest does not name events-2026-01-01.jsonl's as the previous one",
    );
  });

  it('accepts a folder whose oldest archives were deleted, saying so', async () => {
    await rm(join(folder, 'events-2026-01-01.jsonl'));
    await rm(join(folder, 'events-2026-01-01.manifest.json'));
    const result = await checkArchiveFolder(folder, publicKey);
    expect(result.problem).toBeUndefined();
    expect(result.checked).toContain(
      'events-2026-01-02.jsonl: the oldest archive here; the archive before it is not in this folder (deleted or kept elsewhere)',
    );
  });

  it('finds an events file whose manifest is gone, and a manifest whose events file is gone', async () => {
    await rm(join(folder, 'events-2026-01-03.manifest.json'));
    expect((await checkArchiveFolder(folder, publicKey)).problem).toBe(
      'events-2026-01-03.jsonl: its manifest events-2026-01-03.manifest.json is missing',
    );
    await writeArchive(folder, '2026-01-03', range(10, 12), undefined);
    await rm(join(folder, 'events-2026-01-03.jsonl'));
    expect((await checkArchiveFolder(folder, publicKey)).problem).toBe(
      'events-2026-01-03.manifest.json: its events file is missing',
    );
  });

  it('finds a gap in the chain numbers even under a valid signature', async () => {
    await writeArchive(folder, '2026-01-09', [20, 21, 23], undefined, privateKey, { lastSequence: 23 });
    expect((await checkArchive(join(folder, 'events-2026-01-09.jsonl'), publicKey)).problem).toBe(
      'events-2026-01-09.jsonl: line 3 holds event #23 where #22 was expected: an event is missing, added or out of order',
    );
  });

  it('finds a count that does not match', async () => {
    await writeArchive(folder, '2026-01-09', [20, 21], undefined, privateKey, { count: 3 });
    expect((await checkArchive(join(folder, 'events-2026-01-09.jsonl'), publicKey)).problem).toBe(
      'events-2026-01-09.jsonl: it holds 2 events, the signed manifest says 3',
    );
  });

  describe('a JSONL export', () => {
    const path = () => join(folder, 'export.jsonl');

    it('passes with numbers that are not consecutive (a filter)', async () => {
      await writeExport(path(), [3, 7, 40]);
      const result = await checkAuditFiles(path(), publicKey);
      expect(result.problem).toBeUndefined();
      expect(result.checked).toContain('export.jsonl: 3 events');
    });

    it('fails on one changed byte, on a cut-off file, and on a wrong count', async () => {
      await writeExport(path(), [3, 7, 40]);
      await flipByte(path(), 30);
      expect((await checkExport(path(), publicKey)).problem).toContain('the file was changed');
      const whole = await readFile(path(), 'utf8');
      await writeFile(path(), whole.split('\n').slice(0, 2).join('\n') + '\n');
      expect((await checkExport(path(), publicKey)).problem).toContain('its last line is not {"manifest":…}');
      await writeExport(path(), [3, 7], { count: 5 });
      expect((await checkExport(path(), publicKey)).problem).toBe(
        'export.jsonl: it holds 2 events, the signed manifest says 5',
      );
    });

    it('refuses an archive manifest passed off as an export', async () => {
      await writeExport(path(), [3], { kind: 'archive' });
      expect((await checkExport(path(), publicKey)).problem).toBe(
        'export.jsonl: the manifest is of kind archive, not export',
      );
    });
  });

  it('exits 0 only when intact, 1 naming the problem, 2 for bad usage', async () => {
    const keyPath = join(folder, '..', `${folder.split('/').pop()}-checkpoint.pub`);
    await writeFile(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const lines: string[] = [];
    const io = { log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
    try {
      await expect(runAuditVerify([folder, '--public-key', keyPath], io)).resolves.toBe(0);
      expect(lines.at(-1)).toBe(`intact: ${folder}`);
      await flipByte(join(folder, 'events-2026-01-01.jsonl'), 10);
      await expect(runAuditVerify([folder, '--public-key', keyPath], io)).resolves.toBe(1);
      expect(lines.at(-1)).toMatch(/^FAIL events-2026-01-01\.jsonl: its SHA-256/);
      await expect(runAuditVerify([folder], io)).resolves.toBe(2);
      await expect(runAuditVerify([folder, '--public-key', folder], io)).resolves.toBe(2);
    } finally {
      await rm(keyPath, { force: true });
    }
  });
});
