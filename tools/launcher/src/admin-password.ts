import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The bootstrap administrator's password for a single node, and where it came from. */
export type AdminPassword =
  /** FLOTILLA_ADMIN_PASSWORD: the operator's choice, never printed. */
  | { origin: 'configured'; password: string }
  /** Made by `npm start` and kept in `file` (0600); `createdNow` on the start that made it. */
  | { origin: 'generated'; password: string; file: string; createdNow: boolean };

/**
 * FLOTILLA_ADMIN_PASSWORD when set, else one generated at first start and kept (mode 0600) in
 * `file`, so a later start before the first sign-in can still point at it.
 */
export async function adminPassword(configured: string | undefined, file: string): Promise<AdminPassword> {
  if (configured) return { origin: 'configured', password: configured };
  if (existsSync(file))
    return { origin: 'generated', password: (await readFile(file, 'utf8')).trim(), file, createdNow: false };
  const generated = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${generated}\n`, { mode: 0o600 });
  return { origin: 'generated', password: generated, file, createdNow: true };
}

/**
 * The "Sign in" line of the start-up banner. A configured password is never printed; a generated
 * one only on the start that made it (later starts name its file: after the forced change at first
 * sign-in, the file holds a password that no longer works, and printing it again would only
 * spread it).
 */
export function signInLine(username: string, admin: AdminPassword): string {
  if (admin.origin === 'configured') return `${username} / password: the one in FLOTILLA_ADMIN_PASSWORD`;
  if (admin.createdNow)
    return `${username} / ${admin.password}  (generated; you will choose a new one at first sign-in)`;
  return `${username} / password: generated at first start, in ${admin.file} until you changed it at first sign-in`;
}
