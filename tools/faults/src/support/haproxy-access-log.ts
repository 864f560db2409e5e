/**
 * HAProxy's access log (FLOTILLA_HAPROXY_ACCESS_LOG=1: `option httplog`, one line per request)
 * as it reaches a cluster's output, prefixed `[haproxy]`. A failed call alone says only what the
 * client saw ("other side closed"); the lines around it say what HAProxy saw: which gateway, the
 * timers, the status and the termination state (e.g. `SH--`: the server closed first).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `[01/Dec/2026:20:10:11.123]`, the accept date httplog writes in HAProxy's local time. */
const ACCEPT_DATE = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})\]/;

/** Epoch ms of an httplog line's accept date, or undefined for any other line. */
export function acceptedAt(line: string): number | undefined {
  const match = ACCEPT_DATE.exec(line);
  if (!match) return undefined;
  const [, day, month, year, hours, minutes, seconds, millis] = match;
  const monthIndex = MONTHS.indexOf(month);
  if (monthIndex < 0) return undefined;
  // HAProxy runs on this machine with this process's time zone, so local time reads it back.
  return new Date(
    Number(year),
    monthIndex,
    Number(day),
    Number(hours),
    Number(minutes),
    Number(seconds),
    Number(millis),
  ).getTime();
}

/** HAProxy's access-log lines for requests accepted in [from - marginMs, to + marginMs]. */
export function haproxyRequestsBetween(output: string, from: number, to: number, marginMs = 1000): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('[haproxy]'))
    .filter((line) => {
      const at = acceptedAt(line);
      return at !== undefined && at >= from - marginMs && at <= to + marginMs;
    });
}
