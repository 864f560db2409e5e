import type { Entry } from 'ldapts';

/** An attribute's first text value, or undefined (ldapts gives one value as a string, several as an array). */
export function textOf(entry: Entry, attribute: string): string | undefined {
  const value = valueOf(entry, attribute);
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : first;
}

/** An attribute asked for as binary (explicitBufferAttributes), or undefined. */
export function bufferOf(entry: Entry, attribute: string): Buffer | undefined {
  const value = valueOf(entry, attribute);
  const first = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(first) ? first : undefined;
}

/** Every text value of an attribute. */
export function textsOf(entry: Entry, attribute: string): string[] {
  const value = valueOf(entry, attribute);
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) =>
    Buffer.isBuffer(item) ? item.toString('utf8') : item,
  );
}

/** Attribute names are case-insensitive in LDAP; servers answer in their own case. */
function valueOf(entry: Entry, attribute: string): Entry[string] | undefined {
  const wanted = attribute.toLowerCase();
  const key = Object.keys(entry).find((name) => name.toLowerCase() === wanted);
  return key === undefined ? undefined : entry[key];
}
