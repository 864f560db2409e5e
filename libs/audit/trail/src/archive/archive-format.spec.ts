import {
  archiveFileNames,
  archiveLine,
  ArchivedEventLine,
  dayIsPastRetention,
  endOfDay,
  isArchiveDay,
  utcDayOf,
} from './archive-format';

const line: ArchivedEventLine = {
  id: 'e1',
  occurredAt: '2026-01-01T10:00:00.000Z',
  recordedAt: '2026-01-01T10:00:00.001Z',
  actorId: 'u1',
  actorName: 'Alice',
  action: 'project.created',
  resourceType: 'Project',
  resourceId: 'p1',
  details: '{"b":1,"a":2}',
  clientIp: '',
  source: 'spec',
  forwardedFor: '',
  clientIpKey: null,
  sequenceNumber: 7,
  chainHash: 'f'.repeat(64),
};

describe('archive format', () => {
  it('knows real days only, and names files from them alone', () => {
    expect(isArchiveDay('2026-02-28')).toBe(true);
    expect(isArchiveDay('2026-02-30')).toBe(false);
    expect(isArchiveDay('2026-2-1')).toBe(false);
    expect(isArchiveDay('../etc')).toBe(false);
    expect(archiveFileNames('2026-02-28')).toEqual({
      events: 'events-2026-02-28.jsonl',
      manifest: 'events-2026-02-28.manifest.json',
    });
    expect(() => archiveFileNames('2026-02-28/../x')).toThrow('not a day');
  });

  it('cuts days in UTC and archives a day only once all of it is older than the retention', () => {
    expect(utcDayOf(new Date('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
    expect(endOfDay('2026-03-01').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    const now = new Date('2026-06-01T12:00:00.000Z');
    // 90 days before now is 2026-03-03T12:00Z: the 2nd ended before it, the 3rd did not.
    expect(dayIsPastRetention('2026-03-02', now, 90)).toBe(true);
    expect(dayIsPastRetention('2026-03-03', now, 90)).toBe(false);
  });

  it('writes one line per event with a fixed key order, other fields after by name', () => {
    const shuffled = Object.fromEntries(
      Object.entries({ ...line, zeta: 1, alpha: 'x' }).reverse(),
    ) as unknown as ArchivedEventLine;
    const text = archiveLine(shuffled);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([...Object.keys(line), 'alpha', 'zeta']);
    expect(archiveLine({ ...line, zeta: 1, alpha: 'x' } as ArchivedEventLine)).toBe(text);
  });
});
