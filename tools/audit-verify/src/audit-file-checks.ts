import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

import {
  auditManifestDigest,
  auditManifestSignatureValid,
  type SignedAuditManifest,
} from '@flotilla/audit/trail';

/** What a check found: what it checked (for people), and the first problem if any. */
export interface FileCheck {
  checked: string[];
  problem?: string;
}

const ARCHIVE_NAME = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const MANIFEST_SUFFIX = '.manifest.json';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isManifest(value: unknown): value is SignedAuditManifest {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as SignedAuditManifest).signature === 'string' &&
    typeof (value as SignedAuditManifest).sha256 === 'string'
  );
}

/** The sequence number of an event line, null when it has none, undefined when it is not an event. */
function sequenceOf(line: string): number | null | undefined {
  const event = parseJson(line);
  if (event === null || typeof event !== 'object') return undefined;
  const value = (event as { sequenceNumber?: unknown }).sequenceNumber;
  if (value === null || value === undefined || value === 0) return null;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** The lines of a file (without their newline), read as a stream, and the SHA-256 of its bytes. */
async function* linesOf(path: string, hash?: ReturnType<typeof createHash>): AsyncGenerator<string> {
  const stream = createReadStream(path);
  if (hash) stream.on('data', (chunk) => hash.update(chunk));
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of reader) yield line;
}

/**
 * One archive: `<x>.jsonl` and `<x>.manifest.json` beside it. Checks the manifest's signature with
 * the checkpoint public key, that it describes this file (name, kind), the file's SHA-256 and
 * count, and that its events carry exactly the numbers firstSequence..lastSequence, in order,
 * with no gap (events from before the chain, without a number, come first).
 */
export async function checkArchive(
  jsonlPath: string,
  publicKey: KeyObject,
): Promise<FileCheck & { manifest?: SignedAuditManifest }> {
  const file = basename(jsonlPath);
  const manifestPath = join(dirname(jsonlPath), file.replace(/\.jsonl$/, MANIFEST_SUFFIX));
  const checked: string[] = [];
  const fail = (problem: string) => ({ checked, problem: `${file}: ${problem}` });
  const manifestText = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (manifestText === undefined) return fail(`its manifest ${basename(manifestPath)} is missing`);
  const manifest = parseJson(manifestText);
  if (!isManifest(manifest)) return fail(`${basename(manifestPath)} is not a signed manifest`);
  if (!auditManifestSignatureValid(publicKey, manifest))
    return fail(
      `the manifest's signature does not verify with the public key: the manifest was changed or forged`,
    );
  checked.push(`${file}: manifest signature valid`);
  if (manifest.kind !== 'archive')
    return fail(`the manifest is of kind ${String(manifest.kind)}, not archive`);
  if (manifest.file !== file) return fail(`the manifest describes ${manifest.file}, not this file`);
  const hash = createHash('sha256');
  let count = 0;
  let expected = manifest.firstSequence;
  let sequenceProblem: string | undefined;
  for await (const line of linesOf(jsonlPath, hash)) {
    count++;
    if (sequenceProblem) continue;
    const sequence = sequenceOf(line);
    if (sequence === undefined) sequenceProblem = `line ${count} is not an event`;
    else if (sequence === null) {
      if (expected !== manifest.firstSequence)
        sequenceProblem = `line ${count} has no chain number after numbered events`;
    } else if (sequence !== expected) {
      sequenceProblem = `line ${count} holds event #${sequence} where #${String(expected)} was expected: an event is missing, added or out of order`;
    } else expected = sequence + 1;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.sha256)
    return fail(
      `its SHA-256 is ${sha256}, the signed manifest says ${manifest.sha256}: the file was changed`,
    );
  checked.push(`${file}: SHA-256 matches`);
  if (count !== manifest.count)
    return fail(`it holds ${count} events, the signed manifest says ${manifest.count}`);
  if (sequenceProblem) return fail(sequenceProblem);
  const lastSeen = expected === null ? null : expected - 1;
  if (manifest.lastSequence !== null && lastSeen !== manifest.lastSequence)
    return fail(`its events end at #${String(lastSeen)}, the signed manifest says #${manifest.lastSequence}`);
  checked.push(
    `${file}: ${count} events` +
      (manifest.firstSequence === null
        ? ', none chained'
        : `, #${manifest.firstSequence}..#${String(manifest.lastSequence)} with no gap`),
  );
  return { checked, manifest };
}

/**
 * A folder of archives: each one (checkArchive), then the chain of manifests in day order: each
 * manifest's previousManifestSha256 must be the digest of the one before it. The oldest present may
 * name one no longer in the folder (older archives deleted, oldest first); a missing one after it, a
 * reordered one or a stray manifest is found.
 */
export async function checkArchiveFolder(folder: string, publicKey: KeyObject): Promise<FileCheck> {
  const names = (await readdir(folder)).filter((name) => !name.startsWith('.'));
  const archives = names.filter((name) => ARCHIVE_NAME.test(name)).sort();
  const checked: string[] = [];
  for (const orphan of names.filter((name) => name.endsWith(MANIFEST_SUFFIX))) {
    if (!archives.includes(orphan.replace(MANIFEST_SUFFIX, '.jsonl')))
      return { checked, problem: `${orphan}: its events file is missing` };
  }
  if (archives.length === 0)
    return { checked, problem: `${folder} holds no archive (events-YYYY-MM-DD.jsonl)` };
  let previous: SignedAuditManifest | undefined;
  for (const name of archives) {
    const result = await checkArchive(join(folder, name), publicKey);
    checked.push(...result.checked);
    if (result.problem || !result.manifest) return { checked, problem: result.problem };
    const manifest = result.manifest;
    if (previous) {
      if (manifest.previousManifestSha256 !== auditManifestDigest(previous))
        return {
          checked,
          problem: `${name}: its manifest does not name ${previous.file}'s as the previous one: an archive between them was removed, or they were reordered`,
        };
      if (
        previous.lastSequence !== null &&
        manifest.firstSequence !== null &&
        manifest.firstSequence !== previous.lastSequence + 1
      )
        return {
          checked,
          problem: `${name}: starts at #${manifest.firstSequence}, ${previous.file} ended at #${previous.lastSequence}`,
        };
      checked.push(`${name}: follows ${previous.file}`);
    } else if (manifest.previousManifestSha256 !== '') {
      checked.push(
        `${name}: the oldest archive here; the archive before it is not in this folder (deleted or kept elsewhere)`,
      );
    }
    previous = manifest;
  }
  return { checked };
}

/**
 * A JSONL export: its last line is `{"manifest":<signed manifest>}` of kind export, whose sha256 is
 * the SHA-256 of every byte before that line and whose count is the number of event lines. An
 * export is a filter's events, so its numbers need not be consecutive; each must lie within the
 * manifest's firstSequence..lastSequence.
 */
export async function checkExport(path: string, publicKey: KeyObject): Promise<FileCheck> {
  const file = basename(path);
  const checked: string[] = [];
  const fail = (problem: string) => ({ checked, problem: `${file}: ${problem}` });
  const hash = createHash('sha256');
  let held: string | undefined;
  let count = 0;
  let lineProblem: string | undefined;
  const numbers: number[] = [];
  for await (const line of linesOf(path)) {
    if (held !== undefined) {
      hash.update(`${held}\n`);
      count++;
      const sequence = sequenceOf(held);
      if (sequence === undefined) lineProblem ??= `line ${count} is not an event`;
      else if (sequence !== null) numbers.push(sequence);
    }
    held = line;
  }
  if (held === undefined) return fail('the file is empty');
  const last = parseJson(held);
  const manifest =
    last !== null && typeof last === 'object' ? (last as { manifest?: unknown }).manifest : undefined;
  if (!isManifest(manifest))
    return fail('its last line is not {"manifest":…}: the file was cut short or is not a JSONL export');
  if (!auditManifestSignatureValid(publicKey, manifest))
    return fail(
      `the manifest's signature does not verify with the public key: the manifest was changed or forged`,
    );
  checked.push(`${file}: manifest signature valid`);
  if (manifest.kind !== 'export') return fail(`the manifest is of kind ${String(manifest.kind)}, not export`);
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.sha256)
    return fail(
      `its SHA-256 (before the manifest line) is ${sha256}, the signed manifest says ${manifest.sha256}: the file was changed`,
    );
  checked.push(`${file}: SHA-256 matches`);
  if (count !== manifest.count)
    return fail(`it holds ${count} events, the signed manifest says ${manifest.count}`);
  if (lineProblem) return fail(lineProblem);
  const outside = numbers.find(
    (n) =>
      manifest.firstSequence === null ||
      manifest.lastSequence === null ||
      n < manifest.firstSequence ||
      n > manifest.lastSequence,
  );
  if (outside !== undefined)
    return fail(
      `event #${outside} lies outside the manifest's #${String(manifest.firstSequence)}..#${String(manifest.lastSequence)}`,
    );
  checked.push(`${file}: ${count} events`);
  return { checked };
}

/** Decides what `target` is (a folder, an archive, an export) and checks it. */
export async function checkAuditFiles(target: string, publicKey: KeyObject): Promise<FileCheck> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return { checked: [], problem: `${target}: no such file or folder` };
  if (info.isDirectory()) return checkArchiveFolder(target, publicKey);
  if (target.endsWith(MANIFEST_SUFFIX))
    return checkArchive(target.slice(0, -MANIFEST_SUFFIX.length) + '.jsonl', publicKey);
  const manifestBeside = target.replace(/\.jsonl$/, MANIFEST_SUFFIX);
  if (manifestBeside !== target && (await stat(manifestBeside).catch(() => undefined)))
    return checkArchive(target, publicKey);
  return checkExport(target, publicKey);
}
