import { secretMasker } from './secret-masking';

export interface TaskOutputLimits {
  /** One line of script output longer than this (characters) is cut, with a marker saying so. */
  maxLineChars: number;
  /** A task's script output beyond this many bytes is dropped, and counted. */
  maxTotalBytes: number;
}

export const TASK_OUTPUT_DEFAULTS: TaskOutputLimits = {
  maxLineChars: 16 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
};

export type AdmittedLine = { text: string; notice?: string } | { dropped: true; notice?: string };

/**
 * The budget of one task's script output in its log: masks each line first (so a cut never
 * leaves part of a secret showing), cuts a long line, and once the task's output reached its
 * cap drops further lines, counting them for one closing warning. Memory and shared storage stay
 * bounded whatever a script prints.
 */
export class TaskOutputLimiter {
  private totalBytes = 0;
  private droppedLines = 0;
  private droppedBytes = 0;
  private readonly mask: (message: string) => string;

  constructor(
    readonly limits: TaskOutputLimits = TASK_OUTPUT_DEFAULTS,
    secrets: readonly string[] = [],
  ) {
    this.mask = secretMasker(secrets);
  }

  /**
   * The line to log, or `dropped`. `cutChars`: characters of the line already left out before it
   * got here (the reader keeps only so much of one line in memory).
   */
  admit(line: string, cutChars = 0): AdmittedLine {
    const masked = this.mask(line);
    const text = cutChars > 0 || masked.length > this.limits.maxLineChars ? this.cut(masked) : masked;
    const bytes = Buffer.byteLength(text);
    // Once a line did not fit, none after it is kept either: the log never has silent holes.
    if (this.droppedLines > 0 || this.totalBytes + bytes > this.limits.maxTotalBytes) {
      const first = this.droppedLines === 0;
      this.droppedLines += 1;
      this.droppedBytes += Buffer.byteLength(masked) + cutChars;
      return first
        ? {
            dropped: true,
            notice: `The task's output reached its cap of ${formatBytes(this.limits.maxTotalBytes)}: further output is dropped (counted at the end)`,
          }
        : { dropped: true };
    }
    this.totalBytes += bytes;
    return { text };
  }

  /** One warning for the end of the task, when output was dropped. */
  droppedSummary(): string | undefined {
    if (this.droppedLines === 0) return undefined;
    const lines = this.droppedLines === 1 ? '1 line' : `${this.droppedLines} lines`;
    return `Dropped ${lines} (${formatBytes(this.droppedBytes)}) of script output beyond the task's cap of ${formatBytes(this.limits.maxTotalBytes)}`;
  }

  private cut(text: string): string {
    let end = Math.min(text.length, this.limits.maxLineChars);
    // Never split a surrogate pair.
    if (end > 0 && end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;
    return `${text.slice(0, end)} [line cut at ${this.limits.maxLineChars} characters]`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
