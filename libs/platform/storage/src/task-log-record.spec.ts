import { formatTaskLogRecord } from './task-log-record';

describe(formatTaskLogRecord.name, () => {
  it('is one JSON line with timestamp, level and message, whatever the message holds', () => {
    const record = formatTaskLogRecord('2026-01-02T03:04:05.678Z', 'Warning', 'a "quoted"\nsecond line');

    expect(record).toBe(
      '{"timestamp":"2026-01-02T03:04:05.678Z","level":"Warning","message":"a \\"quoted\\"\\nsecond line"}\n',
    );
    expect(record.indexOf('\n')).toBe(record.length - 1);
    expect(JSON.parse(record)).toEqual({
      timestamp: '2026-01-02T03:04:05.678Z',
      level: 'Warning',
      message: 'a "quoted"\nsecond line',
    });
  });
});
