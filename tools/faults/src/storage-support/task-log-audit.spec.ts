import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { auditNumberedLines, LogRecord, tornLinesInFile, tornRecords } from './task-log-audit';

const at = '2026-11-30T20:00:00.000Z';
const line = (n: number): LogRecord => ({ timestamp: at, level: 'Info', message: `n ${n}` });
const gap = (count: number): LogRecord => ({
  timestamp: at,
  level: 'Warning',
  message: `Log gap: ${count} line(s) could not be written here (shared storage full: ENOSPC)`,
});
const NUMBERED = /^n (\d+)$/;

describe(auditNumberedLines.name, () => {
  it('accepts a marker in each hole and adds up what the markers say', () => {
    const audit = auditNumberedLines([line(1), gap(2), line(4), line(5), gap(1)], 6, NUMBERED);
    expect(audit).toMatchObject({
      missing: 3,
      unmarkedHoles: [],
      markersWithoutHole: [],
      linesMarkedMissing: 3,
    });
  });

  it('names holes without a marker and markers without a hole', () => {
    const audit = auditNumberedLines([line(1), gap(1), line(2), line(5)], 5, NUMBERED);
    expect(audit.unmarkedHoles).toEqual(['3–4']);
    expect(audit.markersWithoutHole).toHaveLength(1);
  });
});

describe(tornRecords.name, () => {
  it('flags records the reader could not parse', () => {
    const raw = { timestamp: '', level: 'Info', message: '{"timestamp":"2026-11-30T2{"timestamp":' };
    expect(tornRecords([line(1), raw])).toEqual([raw]);
  });
});

describe(tornLinesInFile.name, () => {
  it('flags a cut record, one glued to the next, and a file ending mid-record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'task-log-audit-'));
    try {
      const whole = JSON.stringify(line(1));
      const path = join(dir, 'task.log');
      await writeFile(path, `${whole}\n${whole.slice(0, 20)}${whole}\n${whole}\n${whole.slice(0, 10)}`);
      expect(await tornLinesInFile(path)).toHaveLength(2);
      await writeFile(path, `${whole}\n${whole}\n`);
      expect(await tornLinesInFile(path)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
