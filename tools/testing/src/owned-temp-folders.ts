import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp folders of test servers (Samba AD DC copies, slapd instances) marked with the pid of the
 * test process that made them, so a later run can remove the ones whose owner was killed before
 * it could clean up (some are 35-100 MB each).
 */
const OWNER_FILE = 'owner.pid';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A new temp folder `<prefix>…`, marked as this process's. */
export async function makeOwnedTempFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/** Removes the `<prefix>…` temp folders whose owning process is gone. */
export async function removeAbandonedTempFolders(prefix: string): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(prefix))) {
    const dir = join(tmpdir(), entry);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '0'));
    if (owner > 0 && !processAlive(owner)) await rm(dir, { recursive: true, force: true });
  }
}
