import type { ApiKey } from '@flotilla/api-interfaces';

/**
 * The instant a `datetime-local` input names, as ISO-8601 for the API; empty stays empty (a key
 * that never expires). The input has no time zone: it is the browser's local time, which is what
 * the user typed it in.
 */
export function expiryFromLocalInput(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const instant = new Date(trimmed);
  if (Number.isNaN(instant.getTime())) throw new Error('The expiry is not a date and time.');
  return instant.toISOString();
}

/**
 * The state column. `expired` is the API's word (the database clock enforces expiry, so the
 * browser's clock is not asked); the page re-reads the list after every change.
 */
export function keyStateOf(key: ApiKey): 'Expired' | 'Active' {
  return key.expired ? 'Expired' : 'Active';
}
