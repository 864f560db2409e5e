import { readFile } from 'node:fs/promises';

import { ApiClient } from '@flotilla/testing';

export interface LogRecord {
  timestamp: string;
  level: string;
  message: string;
}

const LEVELS = ['Info', 'Warning', 'Error', 'Verbose'];
const GAP_PREFIX = 'Log gap: ';
const GAP_COUNT = /^Log gap: (\d+) line/;

/** The whole log through the REST API, page after page until the server says it is complete. */
export async function readWholeLog(api: ApiClient, taskId: string): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  let offset = 0;
  for (let page = 0; page < 100; page += 1) {
    const response = await api.get<{ lines: LogRecord[]; nextOffset: number; complete: boolean }>(
      `/api/tasks/${taskId}/log?offset=${offset}`,
    );
    if (response.status !== 200) throw new Error(`log of ${taskId} at ${offset}: HTTP ${response.status}`);
    records.push(...response.body.lines);
    if (response.body.complete) return records;
    if (response.body.nextOffset === offset) throw new Error(`log of ${taskId} is not complete at ${offset}`);
    offset = response.body.nextOffset;
  }
  throw new Error(`log of ${taskId}: more than 100 pages`);
}

/**
 * Records the reader could not parse: a torn record comes back with no timestamp and its raw JSON
 * as the message (task-log-line parseTaskLogLine), or glued to the next one.
 */
export function tornRecords(records: LogRecord[]): LogRecord[] {
  return records.filter(
    (record) =>
      !record.timestamp ||
      Number.isNaN(Date.parse(record.timestamp)) ||
      !LEVELS.includes(record.level) ||
      /\{\s*"timestamp"\s*:/.test(record.message),
  );
}

/**
 * Lines of the log file itself that are not one whole record: the reader's view alone could hide
 * a torn record (by skipping it), so the file on shared storage is checked too. A file that ends
 * without a newline ends in a torn record. No file at all has no torn record.
 */
export async function tornLinesInFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const lines = text.split('\n');
  const last = lines.pop();
  const torn = last ? [`(no newline at the end) ${last.slice(0, 200)}`] : [];
  for (const line of lines) {
    let record: Partial<LogRecord> | undefined;
    try {
      record = JSON.parse(line) as Partial<LogRecord>;
    } catch {
      record = undefined;
    }
    const whole =
      typeof record?.timestamp === 'string' &&
      typeof record.level === 'string' &&
      LEVELS.includes(record.level) &&
      typeof record.message === 'string';
    if (!whole) torn.push(line.slice(0, 200));
  }
  return torn;
}

export interface NumberedLogAudit {
  /** The numbers of the numbered lines present, in log order. */
  present: number[];
  /** Numbers that are not in the log. */
  missing: number;
  /** Stretches of missing numbers (first–last) with no `Log gap: ` Warning between their neighbours. */
  unmarkedHoles: string[];
  /** `Log gap: ` records between two numbered lines with nothing missing between them. */
  markersWithoutHole: string[];
  /** Lines the markers say are missing, added up. */
  linesMarkedMissing: number;
  /** Records that are neither numbered lines nor gap markers (the runner's own lines). */
  otherRecords: LogRecord[];
}

/**
 * Where numbered lines 1..total are missing from a log and whether each hole carries the reader's
 * marker. Lines are matched by `pattern`, whose first group is the number.
 */
export function auditNumberedLines(records: LogRecord[], total: number, pattern: RegExp): NumberedLogAudit {
  const present: number[] = [];
  const unmarkedHoles: string[] = [];
  const markersWithoutHole: string[] = [];
  const otherRecords: LogRecord[] = [];
  let linesMarkedMissing = 0;
  let previous = 0;
  let markersSincePrevious: string[] = [];
  const closeStretch = (next: number) => {
    const hole = next > previous + 1;
    if (hole && markersSincePrevious.length === 0) unmarkedHoles.push(`${previous + 1}–${next - 1}`);
    if (!hole) markersWithoutHole.push(...markersSincePrevious.map((m) => `after ${previous}: ${m}`));
    markersSincePrevious = [];
  };
  for (const record of records) {
    const numbered = pattern.exec(record.message);
    if (numbered) {
      const number = Number(numbered[1]);
      closeStretch(number);
      present.push(number);
      previous = Math.max(previous, number);
    } else if (record.level === 'Warning' && record.message.startsWith(GAP_PREFIX)) {
      markersSincePrevious.push(record.message);
      linesMarkedMissing += Number(GAP_COUNT.exec(record.message)?.[1] ?? Number.NaN);
    } else {
      otherRecords.push(record);
    }
  }
  closeStretch(total + 1);
  return {
    present,
    missing: total - new Set(present).size,
    unmarkedHoles,
    markersWithoutHole,
    linesMarkedMissing,
    otherRecords,
  };
}
