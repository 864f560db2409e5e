import { formatTable, formatVerdict, ms } from './report';

describe(formatTable.name, () => {
  it('aligns columns: numbers to the right, text to the left', () => {
    expect(
      formatTable(
        ['mode', 'p50'],
        [
          ['redis', '12.5 ms'],
          ['polling', '1802 ms'],
        ],
      ),
    ).toBe(['mode     p50', '-------  -------', 'redis    12.5 ms', 'polling  1802 ms'].join('\n'));
  });
});

describe(ms.name, () => {
  it('keeps a decimal only for small figures', () => {
    expect(ms(4.26)).toBe('4.3 ms');
    expect(ms(1802.4)).toBe('1802 ms');
    expect(ms(Number.NaN)).toBe('n/a');
  });
});

describe(formatVerdict.name, () => {
  it('says PASS, FAIL or SKIP from the measured outcome', () => {
    expect(formatVerdict({ target: 'p50 < 50 ms', measured: '12 ms', passed: true })).toBe(
      'PASS  p50 < 50 ms (measured: 12 ms)',
    );
    expect(formatVerdict({ target: 'p50 < 50 ms', measured: '80 ms', passed: false })).toMatch(/^FAIL/);
    expect(formatVerdict({ target: 'p50 < 50 ms', measured: 'not run', passed: undefined })).toMatch(/^SKIP/);
  });
});
