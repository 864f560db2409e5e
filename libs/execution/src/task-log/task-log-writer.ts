import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

import { formatTaskLogLine, TaskLogLevel } from './task-log-line';

/** Lines reach the file this soon after they are logged, so readers on other nodes see them live. */
const FLUSH_DELAY_MS = 25;

/** Where task log lines go; the runner and the steps only see this. */
export interface TaskLog {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  verbose(message: string): void;
}

/**
 * The single writer of one task's log file. Lines are appended in order as JSON lines, written
 * out within ~25 ms (buffered only to batch bursts of script output) and fsynced by `sync()`
 * at step boundaries and by `close()`. The file is opened for append, so a task resumed on
 * another node continues the same log.
 */
export class TaskLogWriter implements TaskLog {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** The first write error; reported by sync()/close() instead of crashing a timer callback. */
  private failure: Error | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly clock: () => Date,
    private readonly redact: (message: string) => string,
    private readonly mayWrite: () => boolean,
  ) {}

  /**
   * `mayWrite` false defers writing pending lines (retried every flush delay) until it is true
   * again or the log is closed or abandoned: after a long pause another node may own the file.
   */
  static async open(
    path: string,
    options: { clock?: () => Date; redact?: (message: string) => string; mayWrite?: () => boolean } = {},
  ): Promise<TaskLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a');
    return new TaskLogWriter(
      handle,
      options.clock ?? (() => new Date()),
      options.redact ?? ((message) => message),
      options.mayWrite ?? (() => true),
    );
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
    this.pending.push(formatTaskLogLine(this.clock().toISOString(), level, this.redact(message)));
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes every line logged so far (unless writing is deferred); resolves once they are in the file. */
  flush(force = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!force && this.pending.length > 0 && !this.mayWrite()) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      return this.writing;
    }
    const batch = this.pending.join('');
    this.pending = [];
    if (batch.length > 0) {
      // Chained so batches land in order even when a write is slow.
      this.writing = this.writing
        .then(() => this.writeAll(batch))
        .catch((error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        });
    }
    return this.writing;
  }

  /** Flushes and fsyncs, so the lines so far survive a crash of this node. */
  async sync(force = false): Promise<void> {
    await this.flush(force);
    if (this.failure) throw this.failure;
    await this.handle.sync();
  }

  /** Flushes, fsyncs and closes; later lines are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.sync(true);
    } finally {
      this.closed = true;
      await this.handle.close();
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
    this.pending = [];
    await this.writing;
    await this.handle.close();
  }

  private async writeAll(text: string): Promise<void> {
    if (this.closed) return;
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      const result = await this.handle.write(bytes, written, bytes.length - written);
      written += result.bytesWritten;
    }
  }
}
