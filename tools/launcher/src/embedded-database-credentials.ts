import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';

/** The embedded PostgreSQL's role; a name, not a secret. */
export const EMBEDDED_DATABASE_USER = 'flotilla';
/**
 * The password every data folder made before issue 9 was initialised with. Only ever tried to
 * reach such a folder once, to replace it with a random one (see startEmbeddedDatabase).
 */
export const LEGACY_EMBEDDED_PASSWORD = 'flotilla';

/** 32 random bytes, URL-safe, so the password goes into a connection URL as it is. */
export function newEmbeddedDatabasePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** The password kept in `file`, or undefined when there is none (a data folder older than the file). */
export async function readEmbeddedDatabasePassword(file: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  const password = (await readFile(file, 'utf8')).trim();
  return password || undefined;
}

/**
 * Keeps `password` in `file`, mode 0600, replacing what was there in one rename so a crash
 * leaves either the old file or the new one, never half of one.
 */
export async function saveEmbeddedDatabasePassword(file: string, password: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${password}\n`, { mode: 0o600 });
  await rename(temporary, file);
}
