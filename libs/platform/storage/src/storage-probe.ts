import { randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { storageFailureOf } from './storage-failure';

/** 4 KiB: one page, so a folder with less room than that counts as full. */
const PROBE_BYTES = Buffer.alloc(4096, 0x2e);

export interface FolderProbe {
  writable: boolean;
  /** The errno code (e.g. EROFS, ENOSPC) or ETIMEDOUT; empty when writable. */
  errorCode: string;
  /** What went wrong in words, without the folder's path; empty when writable. */
  error: string;
}

const WRITABLE: FolderProbe = { writable: true, errorCode: '', error: '' };

/** A probe's outcome for an error thrown by the file system. */
export function folderProbeFailure(error: unknown): FolderProbe {
  const failure = storageFailureOf(error);
  if (failure) return { writable: false, errorCode: failure.code, error: failure.description };
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string'
    ? { writable: false, errorCode: code, error: `a probe file could not be written (${code})` }
    : { writable: false, errorCode: 'UNKNOWN', error: 'a probe file could not be written' };
}

/**
 * Proves `dir` takes a write the way real work does: creates a fresh file (exclusive), writes a
 * page, fsyncs it (NFS and SMB report a full or failing server only at sync or close), closes and
 * removes it. The file is removed whatever happened, so a failed probe leaves nothing behind.
 */
export async function probeFolder(dir: string): Promise<FolderProbe> {
  const path = join(dir, `.flotilla-probe-${randomUUID()}.tmp`);
  let created = false;
  try {
    const handle = await open(path, 'wx');
    created = true;
    try {
      await handle.write(PROBE_BYTES);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rm(path);
    created = false;
    return WRITABLE;
  } catch (error) {
    return folderProbeFailure(error);
  } finally {
    if (created) await rm(path, { force: true }).catch(() => undefined);
  }
}
