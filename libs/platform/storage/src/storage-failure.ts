/**
 * What went wrong with shared storage, told from a file-system error's code: the few failures a
 * user or an operator can act on (free space, make the share writable again, fix permissions,
 * check the file server). Anything else is not a storage condition and stays an internal error.
 */
export type StorageFailureKind = 'full' | 'read-only' | 'not-writable' | 'io-error';

export interface StorageFailure {
  kind: StorageFailureKind;
  /** The errno code, e.g. ENOSPC. */
  code: string;
  /** The code in words, e.g. "no space left on device". */
  description: string;
}

const FAILURES: Readonly<Record<string, Omit<StorageFailure, 'code'>>> = {
  ENOSPC: { kind: 'full', description: 'no space left on device' },
  EDQUOT: { kind: 'full', description: 'disk quota exceeded' },
  EROFS: { kind: 'read-only', description: 'read-only file system' },
  EACCES: { kind: 'not-writable', description: 'permission denied' },
  EPERM: { kind: 'not-writable', description: 'operation not permitted' },
  EIO: { kind: 'io-error', description: 'input/output error' },
};

/** The storage failure behind a Node.js fs error, or undefined when it is not one. */
export function storageFailureOf(error: unknown): StorageFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const failure = FAILURES[code];
  return failure ? { ...failure, code } : undefined;
}
