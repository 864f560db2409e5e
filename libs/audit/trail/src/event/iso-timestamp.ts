// A date, optionally with a time that then must carry its zone (Z or ±hh:mm): an audit trail read
// across nodes and time zones cannot accept a local time whose meaning depends on the reader.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses an ISO-8601 timestamp (`2025-03-01T10:15:00.123Z`, `...+02:00`) or a date
 * (`2025-03-01`, midnight UTC). Returns undefined for anything else, including impossible
 * calendar dates that `Date.parse` would quietly roll over (February 30th).
 */
export function parseIsoTimestamp(value: string): Date | undefined {
  const match = ISO_TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour = '0', minute = '0', second = '0', offsetHour = '0', offsetMinute = '0'] =
    match.slice(1);
  const inRange =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth(Number(year), Number(month)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHour) <= 23 &&
    Number(offsetMinute) <= 59;
  if (!inRange) return undefined;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : new Date(millis);
}
