import { executorV1 } from '@flotilla/contracts';
import { formatTaskLogRecord, TaskLogLevel } from '@flotilla/platform/storage';

export type { TaskLogLevel };

const LEVELS: readonly string[] = ['Info', 'Warning', 'Error', 'Verbose'];

/** One line of a task log file: a JSON object followed by "\n". */
export function formatTaskLogLine(timestamp: string, level: TaskLogLevel, message: string): string {
  return formatTaskLogRecord(timestamp, level, message);
}

/**
 * Parses one line (without its "\n"). A line that is not our JSON (a torn write from a power
 * loss, a hand edit) is still shown, as its raw text, rather than hidden or failing the read.
 */
export function parseTaskLogLine(text: string): executorV1.TaskLogLine {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) {
      const { timestamp, level, message } = value as Record<string, unknown>;
      if (typeof timestamp === 'string' && typeof level === 'string' && typeof message === 'string') {
        return { timestamp, level: LEVELS.includes(level) ? level : 'Info', message };
      }
    }
  } catch {
    // fall through to the raw line
  }
  return { timestamp: '', level: 'Info', message: text };
}

export interface WholeLines {
  lines: executorV1.TaskLogLine[];
  /** Bytes of the buffer taken by whole lines (a trailing partial line is left for the next read). */
  consumedBytes: number;
}

/** Splits a buffer into whole lines; bytes after the last "\n" are not consumed. */
export function parseWholeLines(buffer: Buffer): WholeLines {
  const end = buffer.lastIndexOf(0x0a);
  if (end < 0) return { lines: [], consumedBytes: 0 };
  const lines = buffer
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parseTaskLogLine);
  return { lines, consumedBytes: end + 1 };
}
