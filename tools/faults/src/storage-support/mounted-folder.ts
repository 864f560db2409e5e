import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';

import type { SmallTmpfs } from '@flotilla/testing';

const run = promisify(execFile);

/**
 * Unmounts in afterAll, whatever state the spec left: a file a crashed task still holds open makes
 * umount answer EBUSY, so a lazy unmount detaches it anyway and the cluster's folder can be removed.
 */
export async function unmountForSure(tmpfs: SmallTmpfs | undefined): Promise<void> {
  if (!tmpfs) return;
  await tmpfs.writable().catch(() => undefined);
  try {
    await tmpfs.unmount();
  } catch {
    await run('umount', ['-l', tmpfs.dir]);
  }
}

/** File names in the folder, minus the filler a SmallTmpfs writes and storage probes in flight. */
export async function folderContents(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  // A diagnostics probe creates and removes `.flotilla-probe-*.tmp` within milliseconds.
  return names.filter((name) => !name.startsWith('.filler') && !name.startsWith('.flotilla-probe-')).sort();
}
