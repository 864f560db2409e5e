import type { FileHandle } from 'node:fs/promises';

function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall}`), { code, syscall });
}

/**
 * Storage that fails like a real disk, for one file: with a capacity, a write that does not fit
 * writes what fits and returns short (the next write fails with ENOSPC), as write(2) does on a
 * full file system; with `failWith` set, every write fails before writing anything (EROFS, EIO).
 * Truncation frees space, since the capacity is measured against the file's real size.
 */
export class StorageFaults {
  /** Bytes the file may grow to; Infinity when there is room. */
  capacity = Number.POSITIVE_INFINITY;
  /** errno code with which every write fails at once, e.g. EROFS. */
  failWith: string | undefined;
  /** errno code with which ftruncate fails, e.g. EIO. */
  truncateFailsWith: string | undefined;
  writeCalls = 0;
  private handle: FileHandle | undefined;

  /** Full from the file's current end, plus `slack` bytes (so the next write is cut short there). */
  async fillUp(slack = 0): Promise<void> {
    if (!this.handle) throw new Error('no file opened through StorageFaults.wrap');
    this.capacity = (await this.handle.stat()).size + slack;
  }

  makeRoom(): void {
    this.capacity = Number.POSITIVE_INFINITY;
    this.failWith = undefined;
  }

  wrap(handle: FileHandle): FileHandle {
    this.handle = handle;
    return new Proxy(handle, {
      get: (target, property) => {
        if (property === 'write') return this.write.bind(this, target);
        if (property === 'truncate') return this.truncate.bind(this, target);
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private async write(
    handle: FileHandle,
    buffer: Buffer,
    offset: number,
    length: number,
  ): Promise<{ bytesWritten: number; buffer: Buffer }> {
    this.writeCalls += 1;
    if (this.failWith) throw errnoError(this.failWith, 'write');
    const room = this.capacity - (await handle.stat()).size;
    if (room <= 0) throw errnoError('ENOSPC', 'write');
    return handle.write(buffer, offset, Math.min(length, room));
  }

  private async truncate(handle: FileHandle, length: number): Promise<void> {
    if (this.truncateFailsWith) throw errnoError(this.truncateFailsWith, 'ftruncate');
    await handle.truncate(length);
  }
}
