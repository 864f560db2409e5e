import { formatTaskLogLine, parseTaskLogLine, parseWholeLines } from './task-log-line';

describe(parseWholeLines.name, () => {
  const first = formatTaskLogLine('2024-01-01T00:00:00.000Z', 'Info', 'one');
  const second = formatTaskLogLine('2024-01-01T00:00:01.000Z', 'Error', 'two\nlines');

  it('parses whole lines and counts their bytes', () => {
    const sut = parseWholeLines(Buffer.from(first + second));
    expect(sut.lines).toEqual([
      { timestamp: '2024-01-01T00:00:00.000Z', level: 'Info', message: 'one' },
      { timestamp: '2024-01-01T00:00:01.000Z', level: 'Error', message: 'two\nlines' },
    ]);
    expect(sut.consumedBytes).toBe(Buffer.byteLength(first + second));
  });

  it('leaves a partial last line for the next read', () => {
    const sut = parseWholeLines(Buffer.from(first + second.slice(0, 10)));
    expect(sut.lines).toHaveLength(1);
    expect(sut.consumedBytes).toBe(Buffer.byteLength(first));
  });

  it('counts bytes, not characters, for non-ASCII messages', () => {
    const line = formatTaskLogLine('t', 'Info', 'Zoë ✓');
    expect(parseWholeLines(Buffer.from(line + line)).consumedBytes).toBe(2 * Buffer.byteLength(line));
  });

  it('consumes nothing without a newline', () => {
    expect(parseWholeLines(Buffer.from('{"a":'))).toEqual({ lines: [], consumedBytes: 0 });
  });
});

describe(parseTaskLogLine.name, () => {
  it('shows a line that is not ours as raw text', () => {
    expect(parseTaskLogLine('garbage {')).toEqual({ timestamp: '', level: 'Info', message: 'garbage {' });
  });

  it('returns a log gap marker as an ordinary Warning line', () => {
    const marker = 'Log gap: 758 line(s) could not be written here (shared storage full: ENOSPC)';
    expect(parseTaskLogLine(formatTaskLogLine('t', 'Warning', marker).trimEnd())).toEqual({
      timestamp: 't',
      level: 'Warning',
      message: marker,
    });
  });

  it('maps an unknown level to Info', () => {
    expect(parseTaskLogLine('{"timestamp":"t","level":"Fatal","message":"m"}').level).toBe('Info');
  });
});
