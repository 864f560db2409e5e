import { EqualityFilter, Filter, OrFilter } from 'ldapts';

/**
 * The 16 bytes AD stores for a GUID in its canonical text (the inverse of decodeGuid): the first
 * three fields little-endian, the last two as written.
 */
export function encodeGuid(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`Not a GUID: ${guid}`);
  const bytes = Buffer.from(hex, 'hex');
  const field = (from: number, to: number): Buffer => Buffer.from(bytes.subarray(from, to)).reverse();
  return Buffer.concat([field(0, 4), field(4, 6), field(6, 8), bytes.subarray(8, 16)]);
}

/**
 * Entries with any of these ids, as one OR filter. Values travel as BER octet strings (never
 * text), so the binary GUID needs no escaping to be exact; ldapts escapes it (\xx) for logs.
 */
export function anyIdFilter(attribute: 'objectGUID' | 'entryUUID', ids: readonly string[]): Filter {
  return new OrFilter({
    filters: ids.map(
      (id) =>
        new EqualityFilter({
          attribute,
          value: (attribute === 'objectGUID' ? encodeGuid(id) : id) as unknown as string,
        }),
    ),
  });
}
