import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A folder inside `parent` that a script may write to (pid files a test reads back): scripts run
 * as the unprivileged script user when the tests run as root, so the parent is made passable
 * (o+x, not listable) and the folder itself open to all.
 */
export async function scriptWritableFolder(parent: string): Promise<string> {
  const folder = join(parent, 'script-writable');
  await chmod(parent, 0o711);
  await mkdir(folder, { recursive: true });
  await chmod(folder, 0o777);
  return folder;
}
