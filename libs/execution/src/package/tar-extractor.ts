import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { Parser, ReadEntry } from 'tar';

import { safeJoin } from '@flotilla/platform/storage';

import { unsafeEntryReason, UnsafeArchiveEntryError } from './archive-entry-safety';
import { ExtractOptions, UnpackBudget } from './unpack-limits';

/**
 * Regular files; with folders, the only entries a package may hold: links, devices and FIFOs have
 * no place in a deployment package (a link would let a later entry write outside the release).
 */
const FILE_TYPES: readonly string[] = ['File', 'OldFile', 'ContiguousFile'];

/**
 * Extracts a .tar.gz into `destination` (an empty folder). tar's parser only reads headers; the
 * files are written here, one entry at a time, so every byte is metered and the first unsafe
 * entry or crossed limit stops everything before this returns (tar's own Unpack writes on after
 * an error, and would race the caller discarding the folder). Gzip is undone by Node's zlib
 * stream, which honours backpressure, rather than inside the parser, which would inflate each
 * read whole in memory: a bomb then costs a bounded amount of memory as well as of disk.
 */
export async function extractTarGz(
  archive: string,
  destination: string,
  options: ExtractOptions,
): Promise<number> {
  options.signal.throwIfAborted();
  return new TarExtraction(destination, options).run(archive);
}

class TarExtraction {
  private readonly budget: UnpackBudget;
  private readonly parser = new Parser({ strict: true });
  private readonly sink: Writable;
  private failure: { error: unknown } | undefined;
  /** Aborts the file being written when the extraction fails elsewhere (input, parser, limit). */
  private readonly stopped = new AbortController();
  private writing: Promise<void> = Promise.resolve();
  private files = 0;

  constructor(
    private readonly destination: string,
    private readonly options: ExtractOptions,
  ) {
    this.budget = new UnpackBudget(options.packageLabel, options.limits);
    this.sink = this.parserSink();
    this.parser.on('error', (error: Error) => this.fail(this.unreadable(error)));
    // Entries come one by one: the parser holds the next until this one's content is consumed.
    this.parser.on('entry', (entry: ReadEntry) => {
      this.writing = this.writing.then(() => this.take(entry));
    });
  }

  async run(archive: string): Promise<number> {
    const { signal } = this.options;
    try {
      await pipeline(createReadStream(archive), createGunzip(), this.sink, { signal });
    } catch (error) {
      this.fail(isZlibError(error) ? this.unreadable(error) : error);
    }
    // Nothing may still be writing once this returns: the caller deletes the folder next.
    await this.writing;
    if (this.failure) throw this.failure.error;
    signal.throwIfAborted();
    return this.files;
  }

  /** Feeds the parser with backpressure; finishes once the parser has handed out every entry. */
  private parserSink(): Writable {
    const parser = this.parser;
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (parser.write(chunk)) done();
        else parser.once('drain', () => done());
      },
      final(done) {
        parser.once('end', () => done());
        parser.end();
      },
    });
  }

  /** A damaged or mislabelled archive, said in terms of the package rather than of zlib or tar. */
  private unreadable(error: Error): Error {
    return new Error(`Package ${this.options.packageLabel} is not a valid tar.gz: ${error.message}`, {
      cause: error,
    });
  }

  /** Records the first failure and stops: no more input, and the entry being written fails. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.sink.destroy(isError(error) ? error : new Error(String(error)));
    this.stopped.abort(error);
  }

  private async take(entry: ReadEntry): Promise<void> {
    if (this.failure) {
      entry.resume();
      return;
    }
    try {
      if (await this.write(entry)) this.files += 1;
    } catch (error) {
      this.fail(error);
    }
  }

  /** Writes one entry; true for a file, false for a folder. */
  private async write(entry: ReadEntry): Promise<boolean> {
    this.budget.countEntry();
    const isFile = FILE_TYPES.includes(entry.type);
    const reason =
      unsafeEntryReason(entry.path) ??
      (isFile || entry.type === 'Directory' ? undefined : `${entry.type} entry`);
    if (reason) throw new UnsafeArchiveEntryError(entry.path, this.options.packageLabel, reason);
    const target = safeJoin(this.destination, entry.path);
    if (!isFile) {
      entry.resume();
      await mkdir(target, { recursive: true });
      return false;
    }
    await mkdir(dirname(target), { recursive: true });
    await pipeline(entry, this.budget.meter(), createWriteStream(target, { flags: 'w', mode: 0o644 }), {
      signal: AbortSignal.any([this.options.signal, this.stopped.signal]),
    });
    // Keep the executable bit of scripts in the package; never setuid or world-writable.
    if (entry.mode !== undefined) await chmod(target, entry.mode & 0o755);
    // Keep the packaged modification time, as tar does: web servers derive ETags from it.
    if (entry.mtime) await utimes(target, entry.atime ?? entry.mtime, entry.mtime);
    return true;
  }
}

/** Duck-typed: errors raised inside Node (zlib) are not `instanceof` a sandbox's Error (jest). */
function isError(error: unknown): error is Error {
  return typeof error === 'object' && error !== null && typeof (error as Error).message === 'string';
}

function isZlibError(error: unknown): error is Error {
  return isError(error) && /^Z_/.test(String((error as NodeJS.ErrnoException).code));
}
