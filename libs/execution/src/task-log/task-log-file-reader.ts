import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';

import { executorV1 } from '@flotilla/contracts';

import { gapLinesOf, LOG_GAP_PREFIX } from './task-log-gap';
import { parseTaskLogLine, parseWholeLines } from './task-log-line';

/** A single read returns at most about this much, so one reply stays well under the gRPC cap. */
const MAX_READ_BYTES = 1024 * 1024;
const TAIL_BLOCK_BYTES = 64 * 1024;

export interface TaskLogRead {
  lines: executorV1.TaskLogLine[];
  /** Just after the last whole line returned. */
  nextOffset: number;
  /** Whether nextOffset is the end of the file as it was when read. */
  atEnd: boolean;
}

export class OffsetBeyondEndError extends Error {
  constructor(
    readonly offset: number,
    readonly size: number,
  ) {
    super(`offset ${offset} is beyond the end of the log (${size} bytes)`);
  }
}

/** Reads whole lines of a task log file from a byte offset, or its last N lines. */
export async function readTaskLogFile(
  path: string,
  offset: number,
  tail: number,
): Promise<TaskLogRead | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (offset > size) throw new OffsetBeyondEndError(offset, size);
    if (offset === 0 && tail > 0) return await readTail(handle, size, tail);
    return await readFrom(handle, offset, size);
  } finally {
    await handle.close();
  }
}

async function readRange(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

async function readFrom(handle: FileHandle, offset: number, size: number): Promise<TaskLogRead> {
  let length = Math.min(size - offset, MAX_READ_BYTES);
  for (;;) {
    const buffer = await readRange(handle, offset, length);
    const { lines, consumedBytes } = parseWholeLines(buffer);
    const reachedEndOfData = offset + buffer.length >= size;
    // A single line longer than the read window: widen the window rather than stall.
    if (consumedBytes === 0 && !reachedEndOfData) {
      length = Math.min(size - offset, length * 2);
      continue;
    }
    const nextOffset = offset + consumedBytes;
    return { lines, nextOffset, atEnd: nextOffset === size };
  }
}

/** The last `tail` whole lines, reading backwards in blocks so a huge log is not read whole. */
async function readTail(handle: FileHandle, size: number, tail: number): Promise<TaskLogRead> {
  let start = size;
  let buffer = Buffer.alloc(0);
  const newlinesNeeded = tail + 1;
  while (start > 0 && countNewlines(buffer) < newlinesNeeded) {
    const blockStart = Math.max(0, start - TAIL_BLOCK_BYTES);
    buffer = Buffer.concat([await readRange(handle, blockStart, start - blockStart), buffer]);
    start = blockStart;
  }
  const { lines, consumedBytes } = parseWholeLines(buffer);
  const nextOffset = start + consumedBytes;
  return { lines: lines.slice(-tail), nextOffset, atEnd: nextOffset === size };
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let index = buffer.indexOf(0x0a); index >= 0; index = buffer.indexOf(0x0a, index + 1)) count += 1;
  return count;
}

/**
 * How many missing lines the `Log gap:` markers in the file account for. Reads the whole file,
 * line by line: call it only for a task that reported lost lines.
 */
export async function countMarkedGapLines(path: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let marked = 0;
  try {
    for await (const text of lines) {
      if (!text.includes(LOG_GAP_PREFIX)) continue;
      const line = parseTaskLogLine(text);
      if (line.level === 'Warning') marked += gapLinesOf(line.message) ?? 0;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  return marked;
}
