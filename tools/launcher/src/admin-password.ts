import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The bootstrap administrator's password for a single node: FLOTILLA_ADMIN_PASSWORD when set,
 * else one generated at first start and kept (mode 0600) so later starts print the same one.
 */
export async function adminPassword(configured: string | undefined, file: string): Promise<string> {
  if (configured) return configured;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const generated = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${generated}\n`, { mode: 0o600 });
  return generated;
}
