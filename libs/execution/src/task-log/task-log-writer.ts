import { chmod, mkdir, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

import { cutTornTail } from '@flotilla/platform/storage';

import { describeStorageProblem, logGapMessage, StorageProblem, storageProblemOf } from './task-log-gap';
import { formatTaskLogLine, TaskLogLevel } from './task-log-line';
import { UnwrittenEntry, UnwrittenRecords } from './unwritten-records';

/** Lines reach the file this soon after they are logged, so readers on other nodes see them live. */
const FLUSH_DELAY_MS = 25;
/** One write call carries at most about this much; a failed one is cut back to whole records. */
const MAX_BATCH_BYTES = 1024 * 1024;
const FIRST_RETRY_MS = 25;
const MAX_RETRY_INTERVAL_MS = 2000;

export const TASK_LOG_WRITE_DEFAULTS = {
  /** How long a line may wait for storage that refuses writes before it is counted as lost. */
  retryMs: 60_000,
  /** While writes fail, at most this many lines / bytes wait in memory; more are counted as lost. */
  maxHeldLines: 20_000,
  maxHeldBytes: 8 * 1024 * 1024,
  /**
   * close() keeps retrying for at most this long (never past retryMs) before giving up. Short:
   * the runner sends no progress while it closes the log, and recovery treats a silence near the
   * heartbeat timeout (4 s in the HA tests) as a hung executor.
   */
  closeRetryMs: 2_000,
} as const;

export type TaskLogWriteLimits = { [K in keyof typeof TASK_LOG_WRITE_DEFAULTS]: number };

export interface TaskLogWriterOptions extends Partial<TaskLogWriteLimits> {
  clock?: () => Date;
  redact?: (message: string) => string;
  /**
   * false defers writing pending lines (retried every flush delay) until it is true again or the
   * log is closed or abandoned: after a long pause another node may own the file.
   */
  mayWrite?: () => boolean;
  /** Tests only: wraps the opened file, e.g. to make writes fail like a full disk. */
  wrapHandle?: (handle: FileHandle) => FileHandle;
}

/** Where task log lines go; the runner and the steps only see this. */
export interface TaskLog {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  verbose(message: string): void;
}

/** Whether everything logged reached the file, and if not, why (for the task's completion). */
export interface TaskLogWriteIntegrity {
  linesLost: number;
  problem: string;
}

/**
 * The single writer of one task's log file. Lines are appended in order as JSON lines, written
 * out within ~25 ms (buffered only to batch bursts of script output) and fsynced by `sync()`
 * at step boundaries and by `close()`. The file is opened for append, so a task resumed on
 * another node continues the same log.
 *
 * Records land whole or not at all: a failed or short write (full, read-only or failing shared
 * storage) is cut back to the last whole record with ftruncate, so no torn record is left for
 * readers or for the next record to be glued onto. Unwritten lines wait in bounded memory and
 * are retried with backoff for a bounded time; lines given up are counted (`integrity()`), and
 * once writing works again a `Log gap:` marker is written exactly where they are missing.
 * Storage trouble never throws out of sync()/close(): the task still completes, with warnings.
 */
export class TaskLogWriter implements TaskLog {
  private readonly unwritten = new UnwrittenRecords();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** No more lines accepted, no more retries scheduled. */
  private closed = false;
  private closing = false;
  /** The file's length up to the last whole record this writer knows of. */
  private size: number;
  /** A failed write may have left bytes past `size` that could not be cut off yet. */
  private dirty = false;
  /** Set while writes fail: why, and how many attempts in a row have failed. */
  private failing: { problem: StorageProblem; attempts: number } | undefined;
  private linesLost = 0;
  private readonly problems = new Set<string>();

  private constructor(
    private readonly handle: FileHandle,
    initialSize: number,
    private readonly clock: () => Date,
    private readonly redact: (message: string) => string,
    private readonly mayWrite: () => boolean,
    private readonly limits: TaskLogWriteLimits,
  ) {
    this.size = initialSize;
  }

  static async open(path: string, options: TaskLogWriterOptions = {}): Promise<TaskLogWriter> {
    // The services' user only (0700/0600): a script runs as another user and must read no task's log.
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // a+: appends, and reads back the tail a previous owner may have left torn.
    const opened = await open(path, 'a+', 0o600);
    const handle = options.wrapHandle ? options.wrapHandle(opened) : opened;
    try {
      // A log (or its folder) made by an older version was world-readable: close it now.
      if (((await opened.stat()).mode & 0o077) !== 0) await opened.chmod(0o600);
      if (((await stat(dirname(path))).mode & 0o077) !== 0) await chmod(dirname(path), 0o700);
      const size = await cutTornTail(handle);
      return new TaskLogWriter(
        handle,
        size,
        options.clock ?? (() => new Date()),
        options.redact ?? ((message) => message),
        options.mayWrite ?? (() => true),
        {
          retryMs: options.retryMs ?? TASK_LOG_WRITE_DEFAULTS.retryMs,
          maxHeldLines: options.maxHeldLines ?? TASK_LOG_WRITE_DEFAULTS.maxHeldLines,
          maxHeldBytes: options.maxHeldBytes ?? TASK_LOG_WRITE_DEFAULTS.maxHeldBytes,
          closeRetryMs: options.closeRetryMs ?? TASK_LOG_WRITE_DEFAULTS.closeRetryMs,
        },
      );
    } catch (error) {
      await opened.close();
      throw error;
    }
  }

  info(message: string): void {
    this.append('Info', message);
  }

  warning(message: string): void {
    this.append('Warning', message);
  }

  error(message: string): void {
    this.append('Error', message);
  }

  verbose(message: string): void {
    this.append('Verbose', message);
  }

  append(level: TaskLogLevel, message: string): void {
    if (this.closed) return;
    const text = Buffer.from(formatTaskLogLine(this.clock().toISOString(), level, this.redact(message)));
    // Memory is bounded only while storage refuses writes: a burst of output on healthy storage is
    // drained by the next write and must not be dropped.
    if (this.failing && this.overHeldBounds(text.length)) {
      this.unwritten.addGap(1, this.failing.problem);
      this.countLost(1, this.failing.problem);
      return;
    }
    this.unwritten.add(text, performance.now());
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Tries to write everything logged so far (unless writing is deferred); never rejects. */
  flush(force = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!force && !this.unwritten.isEmpty && !this.mayWrite()) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      return this.writing;
    }
    // Chained so batches land in order even when a write is slow.
    this.writing = this.writing.then(() => this.writeUnwritten(force));
    return this.writing;
  }

  /** Flushes and fsyncs, so the lines so far survive a crash of this node. Storage trouble is counted, not thrown. */
  async sync(force = false): Promise<void> {
    await this.flush(force);
    await this.fsyncQuietly();
  }

  /**
   * Flushes, retrying for a bounded time (closeRetryMs, never past retryMs) if storage refuses
   * writes; then counts what is still unwritten as lost, fsyncs and closes. Later lines are
   * ignored. Does not throw over storage trouble: integrity() says what is missing.
   */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    const deadline = performance.now() + Math.min(this.limits.closeRetryMs, this.limits.retryMs);
    await this.flush(true);
    for (let attempt = 1; this.hasUnwritten() && performance.now() < deadline; attempt += 1) {
      await sleep(Math.min(retryDelay(attempt, this.limits.retryMs), deadline - performance.now()));
      await this.flush(true);
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.hasUnwritten()) {
      // Never written, never marked in the file: the reader adds the marker from the count.
      const problem = this.failing?.problem ?? { code: 'UNKNOWN', description: 'shared storage error' };
      this.countLost(this.unwritten.dropAll(), problem);
    }
    await this.fsyncQuietly();
    try {
      await this.handle.close();
    } catch (error) {
      this.problems.add(`could not close the task log: ${describeStorageProblem(storageProblemOf(error))}`);
    }
  }

  /**
   * Closes without writing what is pending: used when another node now owns the task and is
   * the file's only legitimate writer.
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwritten.dropAll();
    await this.writing;
    try {
      await this.handle.close();
    } catch {
      // Network shares may report a failed write only at close (EIO, ENOSPC). The log belongs to
      // another node now and nothing more is written here: a rejection would only go unhandled.
    }
  }

  /** Lines that never reached the log and why; final once close() has resolved. */
  integrity(): TaskLogWriteIntegrity {
    return { linesLost: this.linesLost, problem: [...this.problems].join('; ') };
  }

  private hasUnwritten(): boolean {
    return !this.unwritten.isEmpty || this.dirty;
  }

  private overHeldBounds(bytes: number): boolean {
    return (
      this.unwritten.lines + 1 > this.limits.maxHeldLines ||
      this.unwritten.bytes + bytes > this.limits.maxHeldBytes
    );
  }

  private countLost(lines: number, problem: StorageProblem): void {
    if (lines <= 0) return;
    this.linesLost += lines;
    this.problems.add(describeStorageProblem(problem));
  }

  /**
   * Writes batches until nothing is left, a write fails (then a retry is scheduled) or writing
   * must wait for the claim (then a flush is scheduled).
   */
  private async writeUnwritten(force: boolean): Promise<void> {
    while (!this.closed && this.hasUnwritten()) {
      if (this.failing) {
        const cutoff = performance.now() - this.limits.retryMs;
        this.countLost(this.unwritten.expire(cutoff, this.failing.problem), this.failing.problem);
      }
      const outcome = await this.writeBatch(force);
      if (outcome === 'deferred') {
        this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
        return;
      }
      if (outcome === 'failed') {
        this.scheduleRetry();
        return;
      }
    }
  }

  /** One write of whole records; 'failed' when storage refused (what was written whole is kept). */
  private async writeBatch(force: boolean): Promise<'written' | 'failed' | 'deferred'> {
    try {
      if (this.dirty) {
        await this.handle.truncate(this.size);
        this.dirty = false;
      } else {
        // Single writer by design, but never cut off a record someone else appended meanwhile.
        this.size = (await this.handle.stat()).size;
      }
    } catch (error) {
      this.noteFailure(error);
      return 'failed';
    }
    // Asked again just before writing: flush() asked before the awaits above, and the process may
    // have been frozen in between (SIGSTOP, a long stall) while another node took the task's log.
    if (!force && !this.mayWrite()) return 'deferred';
    if (this.unwritten.isEmpty) return 'written';
    const entries = this.unwritten.take(MAX_BATCH_BYTES);
    const records = entries.map((entry) => this.render(entry));
    const bytes = Buffer.concat(records);
    let written = 0;
    try {
      while (written < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written);
        if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' });
        written += bytesWritten;
      }
    } catch (error) {
      await this.keepWholeRecords(entries, records, written);
      this.noteFailure(error);
      return 'failed';
    }
    this.size += bytes.length;
    this.failing = undefined;
    return 'written';
  }

  /** After a failed write: cut the file back to the last whole record; the rest waits again. */
  private async keepWholeRecords(
    entries: UnwrittenEntry[],
    records: Buffer[],
    written: number,
  ): Promise<void> {
    let whole = 0;
    let wholeBytes = 0;
    while (whole < records.length && wholeBytes + records[whole].length <= written) {
      wholeBytes += records[whole].length;
      whole += 1;
    }
    try {
      if (written > wholeBytes) await this.handle.truncate(this.size + wholeBytes);
      this.size += wholeBytes;
      this.unwritten.putBack(entries.slice(whole));
    } catch {
      // The torn tail is still there: cut it (and the whole records before it) off before the next write.
      this.dirty = true;
      this.unwritten.putBack(entries);
    }
  }

  private render(entry: UnwrittenEntry): Buffer {
    if (entry.kind === 'record') return entry.text;
    const message = logGapMessage(entry.lines, entry.problem);
    return Buffer.from(formatTaskLogLine(this.clock().toISOString(), 'Warning', message));
  }

  private noteFailure(error: unknown): void {
    const problem = storageProblemOf(error);
    if (this.failing) {
      this.failing.problem = problem;
      this.failing.attempts += 1;
    } else this.failing = { problem, attempts: 1 };
  }

  private scheduleRetry(): void {
    if (this.closing || this.closed || !this.failing) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), retryDelay(this.failing.attempts, this.limits.retryMs));
  }

  private async fsyncQuietly(): Promise<void> {
    try {
      await this.handle.sync();
    } catch (error) {
      // Lines already written may not be durable: the log may be incomplete, say so.
      this.problems.add(`could not fsync the task log: ${describeStorageProblem(storageProblemOf(error))}`);
    }
  }
}

/** Doubling from 25 ms up to 2 s, and never longer than a quarter of the retry window. */
function retryDelay(attempt: number, retryMs: number): number {
  const cap = Math.max(FIRST_RETRY_MS, Math.min(MAX_RETRY_INTERVAL_MS, retryMs / 4));
  return Math.min(cap, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 16));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
