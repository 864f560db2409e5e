import { PresenceFilter } from 'ldapts';

import { DirectoryProtocolError } from './directory-refusal';
import type { DirectorySearch, DirectorySearchResult } from './ldap-connection';

/** The one method ranged retrieval needs, so it can be tested without a server. */
export interface EntrySearcher {
  search(baseDn: string, search: DirectorySearch): Promise<DirectorySearchResult>;
}

/** Guards against a server that never says `-*`. */
const MAX_RANGES = 100_000;

/**
 * Every value of a multi-valued attribute, however many. AD returns at most MaxValRange values
 * (1,500 by default) of `member` per read and says which slice it sent as `member;range=0-1499`;
 * the last slice ends in `*`. A slice missing or out of order is an error, never a short list.
 */
export async function readRangedAttribute(
  searcher: EntrySearcher,
  dn: string,
  attribute: string,
): Promise<string[]> {
  const values: string[] = [];
  let start = 0;
  for (let round = 0; round < MAX_RANGES; round++) {
    const { entries } = await searcher.search(dn, {
      scope: 'base',
      filter: new PresenceFilter({ attribute: 'objectClass' }),
      attributes: [`${attribute};range=${start}-*`],
    });
    const entry = entries[0];
    if (!entry) throw new DirectoryProtocolError(`${dn} vanished while its ${attribute} values were read`);
    const prefix = `${attribute.toLowerCase()};range=`;
    const key = Object.keys(entry).find((name) => name.toLowerCase().startsWith(prefix));
    if (key === undefined) {
      // Not ranged: the server sent the attribute whole (or it is empty).
      const whole = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
      if (start === 0) return whole === undefined ? [] : toTexts(entry[whole]);
      throw new DirectoryProtocolError(`${dn}: the ${attribute} values after ${start} were not returned`);
    }
    const range = /;range=(\d+)-(\d+|\*)$/i.exec(key);
    if (!range || Number(range[1]) !== start) {
      throw new DirectoryProtocolError(`${dn}: asked for ${attribute} from ${start}, got ${key}`);
    }
    const slice = toTexts(entry[key]);
    values.push(...slice);
    if (range[2] === '*') return values;
    const end = Number(range[2]);
    if (end < start || slice.length !== end - start + 1) {
      throw new DirectoryProtocolError(`${dn}: ${key} held ${slice.length} values`);
    }
    start = end + 1;
  }
  throw new DirectoryProtocolError(`${dn}: ${attribute} did not end after ${MAX_RANGES} ranges`);
}

function toTexts(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
  return list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
}
