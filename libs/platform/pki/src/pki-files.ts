import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Private keys: the owner alone. */
export const KEY_MODE = 0o600;
/** Certificates and public keys are not secret, but they sit in 0700 folders anyway. */
export const PUBLIC_MODE = 0o644;
export const FOLDER_MODE = 0o700;

/** The command an operator runs to fix a broken or missing PKI file. */
export const PKI_COMMAND = 'npm run pki --';

/** A PKI file that is missing or unreadable, named with the command that fixes it. */
export class PkiFileError extends Error {
  constructor(
    readonly file: string,
    cause: string,
    readonly fix: string,
  ) {
    super(`${file}: ${cause}. ${fix}`);
    this.name = 'PkiFileError';
  }
}

/** mkdir -p with 0700 on every folder it makes, and 0700 enforced on the last one. */
export function ensurePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
  chmodSync(folder, FOLDER_MODE);
}

/**
 * Write-then-rename, so a process watching the file (grpc-js reloads certificates on a timer)
 * never reads half a PEM. The mode is set on the temporary file, so a key is never readable by
 * others, even for a moment.
 */
export function writeFileAtomically(file: string, content: string, mode: number): void {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, content, { mode, flag: 'wx' });
    chmodSync(temporary, mode);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'missing';
  if (code === 'EACCES' || code === 'EPERM') return 'not readable by this user';
  return error instanceof Error ? error.message : String(error);
}

/** Reads a PKI file or throws a PkiFileError naming it and the fix. */
export function readPkiFile(file: string, fix: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new PkiFileError(file, reason(error), fix);
  }
}
