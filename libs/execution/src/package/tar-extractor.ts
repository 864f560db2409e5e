import { x as extractTar } from 'tar';

import { unsafeEntryReason, UnsafeArchiveEntryError } from './archive-entry-safety';

/** Regular files and folders; links, devices and FIFOs have no place in a deployment package. */
const ALLOWED_TYPES: readonly string[] = ['File', 'OldFile', 'ContiguousFile', 'Directory'];

/**
 * Extracts a .tar.gz into `destination` (an empty folder). The filter sees every entry's raw
 * path before tar writes it: an unsafe path or a link entry is skipped and remembered, and the
 * whole package is then refused, so the caller discards the folder.
 */
export async function extractTarGz(
  archive: string,
  destination: string,
  packageLabel: string,
  signal: AbortSignal,
): Promise<number> {
  signal.throwIfAborted();
  let unsafe: UnsafeArchiveEntryError | undefined;
  let files = 0;
  await extractTar({
    file: archive,
    cwd: destination,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    filter: (path, entry) => {
      const type = 'type' in entry ? entry.type : 'File';
      const reason = unsafeEntryReason(path) ?? (ALLOWED_TYPES.includes(type) ? undefined : `${type} entry`);
      if (reason) {
        unsafe ??= new UnsafeArchiveEntryError(path, packageLabel, reason);
        return false;
      }
      if (!unsafe && type !== 'Directory') files += 1;
      return !unsafe;
    },
  });
  if (unsafe) throw unsafe;
  signal.throwIfAborted();
  return files;
}
