import { Transform } from 'node:stream';

import { UNPACK_LIMIT_SETTINGS } from '@flotilla/platform/config';

/** What one package may unpack to on a node (FLOTILLA_MAX_UNPACKED_BYTES, FLOTILLA_MAX_ARCHIVE_ENTRIES). */
export interface UnpackLimits {
  maxUnpackedBytes: number;
  maxArchiveEntries: number;
}

/** What an extractor needs besides the archive and the folder it fills. */
export interface ExtractOptions {
  /** "<package id> <version>", for messages. */
  packageLabel: string;
  limits: UnpackLimits;
  signal: AbortSignal;
}

/** Thrown as soon as a package crosses a limit; the caller discards what was extracted. */
export class UnpackLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnpackLimitError';
  }
}

/** "16 MiB (16777216 bytes)": readable, and exact for whoever sets the variable. */
function describeBytes(bytes: number): string {
  const units = ['GiB', 'MiB', 'KiB'] as const;
  for (const [index, unit] of units.entries()) {
    const size = 1024 ** (units.length - index);
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit} (${bytes} bytes)`;
  }
  return `${bytes} bytes`;
}

/**
 * Counts what one extraction has written against the limits. Sizes declared in archive headers
 * are never consulted: entries are counted as they are met and bytes as they pass to the disk.
 */
export class UnpackBudget {
  private entries = 0;
  private bytes = 0;

  constructor(
    private readonly packageLabel: string,
    private readonly limits: UnpackLimits,
  ) {}

  get bytesWritten(): number {
    return this.bytes;
  }

  /** Call for every entry met (files, folders and any other kind), before acting on it. */
  countEntry(): void {
    this.entries += 1;
    if (this.entries > this.limits.maxArchiveEntries) {
      throw new UnpackLimitError(
        `Package ${this.packageLabel} has more than ${this.limits.maxArchiveEntries} entries, the limit ` +
          `for one package; set ${UNPACK_LIMIT_SETTINGS.maxArchiveEntries} to raise it`,
      );
    }
  }

  /**
   * A pass-through for one file's content that fails before passing on the chunk that would take
   * the package past its byte limit, so no more than the limit ever reaches the disk.
   */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        if (this.bytes + chunk.length > this.limits.maxUnpackedBytes) {
          done(this.bytesExceeded());
          return;
        }
        this.bytes += chunk.length;
        done(null, chunk);
      },
    });
  }

  private bytesExceeded(): UnpackLimitError {
    const limit = this.limits.maxUnpackedBytes;
    return new UnpackLimitError(
      `Package ${this.packageLabel} unpacks to more than ${describeBytes(limit)}, the limit ` +
        `for one package; set ${UNPACK_LIMIT_SETTINGS.maxUnpackedBytes} to raise it`,
    );
  }
}
