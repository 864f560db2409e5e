import { execFile } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const FILLER = '.filler';

/**
 * A real, tiny file system for tests of full and read-only storage. chmod does not stop root
 * (tests run as root in CI), a real mount does: `mount -o remount,ro` gives EROFS, filling it
 * gives ENOSPC. Mounting needs root (or CAP_SYS_ADMIN); when it is impossible `mountSmallTmpfs`
 * throws, so a spec that needs it fails instead of passing without testing anything.
 */
export interface SmallTmpfs {
  dir: string;
  readOnly(): Promise<void>;
  writable(): Promise<void>;
  /** Writes a filler file until the file system answers ENOSPC. */
  fill(): Promise<void>;
  /** Removes the filler file (the file system must be writable). */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

async function fillUp(dir: string): Promise<void> {
  const handle = await open(join(dir, FILLER), 'a');
  const chunk = Buffer.alloc(16 * 1024, 0x66);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  // Less than a chunk may be left: take it byte by byte so nothing more fits.
  const tail = await open(join(dir, `${FILLER}-tail`), 'a');
  try {
    for (;;) await tail.write(Buffer.alloc(512, 0x66));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  } finally {
    await tail.close();
  }
}

export async function mountSmallTmpfs(dir: string, sizeBytes = 1024 * 1024): Promise<SmallTmpfs> {
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  } catch (error) {
    throw new Error(
      `cannot mount a tmpfs at ${dir} (needs root or CAP_SYS_ADMIN): ${(error as Error).message}`,
    );
  }
  const remount = (mode: 'ro' | 'rw') => run('mount', ['-o', `remount,${mode}`, dir]).then(() => undefined);
  return {
    dir,
    readOnly: () => remount('ro'),
    writable: () => remount('rw'),
    fill: () => fillUp(dir),
    free: async () => {
      await rm(join(dir, FILLER), { force: true });
      await rm(join(dir, `${FILLER}-tail`), { force: true });
    },
    unmount: () => run('umount', [dir]).then(() => undefined),
  };
}
