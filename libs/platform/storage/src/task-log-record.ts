import type { FileHandle } from 'node:fs/promises';

/** Severity of one task log record, as the portal shows it. */
export type TaskLogLevel = 'Info' | 'Warning' | 'Error' | 'Verbose';

/**
 * One record of a task log file (`TaskLogs/<task>.log`): a JSON object and "\n", so a record is
 * one line. The executor writes its task's records; recovery appends one system record after it
 * took the task back. Both go through here so there is one format.
 */
export function formatTaskLogRecord(timestamp: string, level: TaskLogLevel, message: string): string {
  return `${JSON.stringify({ timestamp, level, message })}\n`;
}

const TAIL_BLOCK_BYTES = 64 * 1024;

/**
 * A node that died (or was cut off) mid-write can leave the log ending in part of a record, and
 * whoever appends next (the task's new owner, or recovery's system record) would write onto it. Cuts the file back to just
 * after its last whole record and returns the size it now has.
 */
export async function cutTornTail(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_BLOCK_BYTES);
    const block = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(block, 0, block.length, start);
    const newline = block.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) {
      end = start + newline + 1;
      break;
    }
    end = start;
  }
  if (end < size) await handle.truncate(end);
  return end;
}
