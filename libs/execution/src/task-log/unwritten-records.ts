import type { StorageProblem } from './task-log-gap';

/** One formatted log record waiting to be written, and when it started waiting (monotonic ms). */
export interface RecordEntry {
  kind: 'record';
  text: Buffer;
  since: number;
}

/** Lines that will never be written, standing where they belong: written out as one marker. */
export interface GapEntry {
  kind: 'gap';
  lines: number;
  problem: StorageProblem;
}

export type UnwrittenEntry = RecordEntry | GapEntry;

/**
 * The records a task log has not written yet, in order, with gaps where lines were given up.
 * Pure bookkeeping (no I/O): the writer decides when to give lines up; this keeps the order, so
 * that a gap's marker lands exactly where its lines are missing.
 */
export class UnwrittenRecords {
  private entries: UnwrittenEntry[] = [];
  private recordBytes = 0;
  private recordCount = 0;

  /** Records waiting (gaps are not counted: they hold no lines). */
  get lines(): number {
    return this.recordCount;
  }

  get bytes(): number {
    return this.recordBytes;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  add(text: Buffer, since: number): void {
    this.entries.push({ kind: 'record', text, since });
    this.count(1, text.length);
  }

  /** Lines given up just now: they stand after everything already waiting. */
  addGap(lines: number, problem: StorageProblem): void {
    this.appendMerging(this.entries, { kind: 'gap', lines, problem });
  }

  /** Gives up records that have waited since `cutoff` or earlier; returns how many. */
  expire(cutoff: number, problem: StorageProblem): number {
    let expired = 0;
    const kept: UnwrittenEntry[] = [];
    for (const entry of this.entries) {
      if (entry.kind === 'record' && entry.since <= cutoff) {
        expired += 1;
        this.count(-1, -entry.text.length);
        this.appendMerging(kept, { kind: 'gap', lines: 1, problem });
      } else {
        this.appendMerging(kept, entry);
      }
    }
    this.entries = kept;
    return expired;
  }

  /** Gives up every waiting record; returns how many (gaps were counted when they were made). */
  dropAll(): number {
    const dropped = this.recordCount;
    this.entries = [];
    this.count(-this.recordCount, -this.recordBytes);
    return dropped;
  }

  /** Removes and returns entries from the front, at least one, up to about `maxBytes` of records. */
  take(maxBytes: number): UnwrittenEntry[] {
    let bytes = 0;
    let end = 0;
    while (end < this.entries.length) {
      const entry = this.entries[end];
      const size = entry.kind === 'record' ? entry.text.length : 0;
      if (end > 0 && bytes + size > maxBytes) break;
      bytes += size;
      end += 1;
    }
    const taken = this.entries.splice(0, end);
    for (const entry of taken) if (entry.kind === 'record') this.count(-1, -entry.text.length);
    return taken;
  }

  /** Puts entries taken but not written back at the front, in order. */
  putBack(entries: readonly UnwrittenEntry[]): void {
    const front: UnwrittenEntry[] = [];
    for (const entry of [...entries, ...this.entries]) this.appendMerging(front, entry);
    for (const entry of entries) if (entry.kind === 'record') this.count(1, entry.text.length);
    this.entries = front;
  }

  /** Adjacent gaps are one stretch of missing lines: one marker (keeping the first gap's reason). */
  private appendMerging(list: UnwrittenEntry[], entry: UnwrittenEntry): void {
    const last = list.at(-1);
    if (entry.kind === 'gap' && last?.kind === 'gap')
      list[list.length - 1] = { ...last, lines: last.lines + entry.lines };
    else list.push(entry);
  }

  private count(lines: number, bytes: number): void {
    this.recordCount += lines;
    this.recordBytes += bytes;
  }
}
