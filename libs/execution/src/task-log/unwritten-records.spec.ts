import { UnwrittenEntry, UnwrittenRecords } from './unwritten-records';

const full = { code: 'ENOSPC', description: 'shared storage full' };
const readOnly = { code: 'EROFS', description: 'shared storage read-only' };

function shape(entries: UnwrittenEntry[]): string[] {
  return entries.map((entry) =>
    entry.kind === 'record' ? entry.text.toString() : `gap ${entry.lines} ${entry.problem.code}`,
  );
}

describe(UnwrittenRecords.name, () => {
  it('keeps records and gaps in order, one gap per stretch of missing lines', () => {
    const sut = new UnwrittenRecords();
    sut.add(Buffer.from('a'), 0);
    sut.addGap(1, full);
    sut.addGap(2, readOnly);
    sut.add(Buffer.from('b'), 0);
    expect({ lines: sut.lines, bytes: sut.bytes }).toEqual({ lines: 2, bytes: 2 });
    expect(shape(sut.take(100))).toEqual(['a', 'gap 3 ENOSPC', 'b']);
    expect(sut.isEmpty).toBe(true);
  });

  it('gives up records that waited too long, merging them with the gaps around them', () => {
    const sut = new UnwrittenRecords();
    sut.add(Buffer.from('old1'), 10);
    sut.addGap(1, full);
    sut.add(Buffer.from('old2'), 20);
    sut.add(Buffer.from('new'), 50);
    expect(sut.expire(20, full)).toBe(2);
    expect({ lines: sut.lines, bytes: sut.bytes }).toEqual({ lines: 1, bytes: 3 });
    expect(shape(sut.take(100))).toEqual(['gap 3 ENOSPC', 'new']);
  });

  it('takes at least one entry and about maxBytes, and puts back what was not written, in front', () => {
    const sut = new UnwrittenRecords();
    for (const text of ['aaaa', 'bbbb', 'cccc']) sut.add(Buffer.from(text), 0);
    const taken = sut.take(6);
    expect(shape(taken)).toEqual(['aaaa']);
    expect(shape(sut.take(1))).toEqual(['bbbb']);
    sut.addGap(1, full);
    sut.putBack(taken);
    expect(sut.lines).toBe(2);
    expect(shape(sut.take(100))).toEqual(['aaaa', 'cccc', 'gap 1 ENOSPC']);
  });

  it('merges a gap put back with a gap at the front', () => {
    const sut = new UnwrittenRecords();
    sut.addGap(2, full);
    const taken = sut.take(100);
    sut.addGap(3, full);
    sut.putBack(taken);
    expect(shape(sut.take(100))).toEqual(['gap 5 ENOSPC']);
  });

  it('drops every waiting record and says how many', () => {
    const sut = new UnwrittenRecords();
    sut.add(Buffer.from('a'), 0);
    sut.addGap(4, full);
    sut.add(Buffer.from('b'), 0);
    expect(sut.dropAll()).toBe(2);
    expect({ empty: sut.isEmpty, lines: sut.lines, bytes: sut.bytes }).toEqual({
      empty: true,
      lines: 0,
      bytes: 0,
    });
  });
});
