import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync a folder so a rename inside it survives a power loss. */
async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A temp path beside the target, so the final rename never crosses a file system. */
export function tempPathBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
}

/**
 * Publishes a file atomically: the writer fills a temp file in the same folder, which is
 * fsynced and renamed over the target. Readers on any node see the whole file or none of it.
 * On failure the temp file is removed and the target is untouched.
 */
export async function publishAtomically<T>(
  target: string,
  write: (tempPath: string) => Promise<T>,
): Promise<T> {
  const temp = tempPathBeside(target);
  try {
    const result = await write(temp);
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    await fsyncDirectory(dirname(target));
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
