import { parseIsoTimestamp } from './iso-timestamp';

describe(parseIsoTimestamp.name, () => {
  it.each([
    ['2025-03-01T10:15:00.123Z', '2025-03-01T10:15:00.123Z'],
    ['2025-03-01T10:15:00Z', '2025-03-01T10:15:00.000Z'],
    ['2025-03-01T12:15+02:00', '2025-03-01T10:15:00.000Z'],
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (input, iso) => {
    expect(parseIsoTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each([
    ['', 'empty'],
    ['yesterday', 'not a date'],
    ['2025-03-01T10:15:00', 'a time without its zone'],
    ['2025-02-30T00:00:00Z', 'an impossible day'],
    ['2025-02-29', 'February 29th outside a leap year'],
    ['2025-13-01T00:00:00Z', 'month 13'],
    ['2025-03-01T24:00:00Z', 'hour 24'],
    ['1740873600000', 'epoch milliseconds'],
    [' 2025-03-01', 'surrounding space'],
  ])('refuses %j (%s)', (input) => {
    expect(parseIsoTimestamp(input)).toBeUndefined();
  });
});
