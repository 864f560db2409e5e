import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream, WriteStream } from 'node:fs';
import { link, open, readdir, rm, stat } from 'node:fs/promises';

import { SharedStorageLayout } from '@flotilla/platform/storage';

/** Thrown when the final name of a package is already taken on disk. */
export class PackageFileExistsError extends Error {
  constructor(readonly fileName: string) {
    super(`Packages/${fileName} already exists`);
    this.name = 'PackageFileExistsError';
  }
}

const TEMP_PREFIX = '.upload-';
const TEMP_SUFFIX = '.partial';
/** Download chunk size: one gRPC message per read. */
export const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

async function fsync(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * The files of the built-in feed in `Packages/` on shared storage. Paths come only from
 * validated stored names through `SharedStorageLayout` (which uses `safeJoin`), never raw input.
 */
export class PackageStorage {
  constructor(private readonly layout: SharedStorageLayout) {}

  /** A fresh temp name in Packages/ itself, so publishing never crosses a file system. */
  newTempPath(): string {
    return this.layout.packagePath(`${TEMP_PREFIX}${randomUUID()}${TEMP_SUFFIX}`);
  }

  /** A write stream that fails rather than reuse an existing file. */
  openTempWriter(tempPath: string): WriteStream {
    return createWriteStream(tempPath, { flags: 'wx' });
  }

  /**
   * Publishes a finished temp file under its final name WITHOUT replacing anything: the temp
   * file is fsynced, hard-linked to the final name (link(2) fails with EEXIST when the name is
   * taken, unlike rename(2)), the folder fsynced, and the temp name removed. A duplicate or
   * concurrent upload therefore can never overwrite the first file.
   */
  async publishNoClobber(tempPath: string, fileName: string): Promise<string> {
    const finalPath = this.layout.packagePath(fileName);
    await fsync(tempPath, 'r+');
    try {
      await link(tempPath, finalPath);
    } catch (error) {
      if (isErrorCode(error, 'EEXIST')) throw new PackageFileExistsError(fileName);
      throw error;
    }
    await fsync(this.layout.packagesDir, 'r');
    await rm(tempPath, { force: true });
    return finalPath;
  }

  /** Removes a file by path if it exists; cleanup must not hide the error that caused it. */
  async removeQuietly(path: string): Promise<void> {
    await rm(path, { force: true }).catch(() => undefined);
  }

  async remove(fileName: string): Promise<void> {
    await rm(this.layout.packagePath(fileName), { force: true });
  }

  pathOf(fileName: string): string {
    return this.layout.packagePath(fileName);
  }

  /** Opens a stored package for reading; resolves once the file is open (rejects if missing). */
  openReader(fileName: string): Promise<ReadStream> {
    const stream = createReadStream(this.layout.packagePath(fileName), {
      highWaterMark: DOWNLOAD_CHUNK_BYTES,
    });
    return new Promise((resolve, reject) => {
      stream.once('error', reject);
      stream.once('ready', () => {
        stream.off('error', reject);
        resolve(stream);
      });
    });
  }

  /** Removes temp files left by uploads that died with their process more than `olderThanMs` ago. */
  async sweepAbandonedTempFiles(olderThanMs: number): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.layout.packagesDir)) {
      if (!name.startsWith(TEMP_PREFIX) || !name.endsWith(TEMP_SUFFIX)) continue;
      const path = this.layout.packagePath(name);
      const info = await stat(path).catch(() => undefined);
      // mtime is set by the file server; a generous age absorbs clock skew between it and this node.
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await this.removeQuietly(path);
        removed += 1;
      }
    }
    return removed;
  }
}
