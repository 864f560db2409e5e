import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import * as yauzl from 'yauzl';

import { safeJoin } from '@flotilla/platform/storage';

import { unsafeEntryReason, UnsafeArchiveEntryError } from './archive-entry-safety';
import { ExtractOptions, UnpackBudget } from './unpack-limits';

/** yauzl 3 API that @types/yauzl 2.10 does not describe (see yauzl's README). */
interface YauzlLowLevel {
  getFileNameLowLevel(
    flags: number,
    fileNameRaw: Buffer,
    extraFields: yauzl.Entry['extraFields'],
    strict: boolean,
  ): string;
}
type RawEntry = yauzl.Entry & { fileNameRaw: Buffer };

const lowLevel = yauzl as unknown as YauzlLowLevel;
const openZip = promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open);

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const MADE_BY_UNIX = 3;

/**
 * Extracts a zip into `destination` (an empty folder), checking every entry name itself
 * (decodeStrings off, so yauzl hands us the raw name instead of failing with its own message)
 * and refusing symbolic links. Throws on the first unsafe entry or crossed limit; the caller
 * discards the folder.
 */
export async function extractZip(
  archive: string,
  destination: string,
  { packageLabel, limits, signal }: ExtractOptions,
): Promise<number> {
  const budget = new UnpackBudget(packageLabel, limits);
  const zip = await openZip(archive, {
    lazyEntries: true,
    decodeStrings: false,
    validateEntrySizes: true,
    autoClose: true,
  });
  let files = 0;
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      signal.throwIfAborted();
      budget.countEntry();
      const { generalPurposeBitFlag, fileNameRaw, extraFields } = entry as RawEntry;
      const name = lowLevel.getFileNameLowLevel(generalPurposeBitFlag, fileNameRaw, extraFields, true);
      const reason = unsafeEntryReason(name) ?? (isSymlink(entry) ? 'symbolic link' : undefined);
      if (reason) throw new UnsafeArchiveEntryError(name, packageLabel, reason);
      const target = safeJoin(destination, name);
      if (name.endsWith('/') || unixMode(entry) === S_IFDIR) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const content = await openReadStream(zip, entry);
      await pipeline(content, budget.meter(), createWriteStream(target, { flags: 'w', mode: 0o644 }), {
        signal,
      });
      const permissions = unixPermissions(entry);
      // Keep the executable bit of scripts in the package; never setuid or world-writable.
      if (permissions !== undefined) await chmod(target, permissions & 0o755);
      files += 1;
    }
  } finally {
    zip.close();
  }
  return files;
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openReadStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
}

function madeOnUnix(entry: yauzl.Entry): boolean {
  return entry.versionMadeBy >> 8 === MADE_BY_UNIX;
}

function unixMode(entry: yauzl.Entry): number {
  return madeOnUnix(entry) ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
}

/** Checked whatever system made the zip: a link is refused even if the header claims otherwise. */
function isSymlink(entry: yauzl.Entry): boolean {
  return ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

function unixPermissions(entry: yauzl.Entry): number | undefined {
  const permissions = (entry.externalFileAttributes >>> 16) & 0o777;
  return madeOnUnix(entry) && permissions !== 0 ? permissions : undefined;
}
