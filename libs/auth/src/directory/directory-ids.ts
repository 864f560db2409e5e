/**
 * Binary identifiers AD returns as octet strings, in the text forms Flotilla stores.
 */

/**
 * A binary SID (MS-DTYP 2.4.2): revision (1 byte), sub-authority count (1), identifier authority
 * (6, big-endian), then that many 32-bit little-endian sub-authorities. Text: S-1-5-21-...-RID.
 */
export function decodeSid(bytes: Buffer): string {
  if (bytes.length < 8) throw new Error(`A SID needs at least 8 bytes, got ${bytes.length}`);
  const revision = bytes.readUInt8(0);
  const count = bytes.readUInt8(1);
  if (bytes.length !== 8 + count * 4) {
    throw new Error(`A SID with ${count} sub-authorities is ${8 + count * 4} bytes, got ${bytes.length}`);
  }
  const authority = bytes.readUIntBE(2, 6);
  const subAuthorities = Array.from({ length: count }, (_, index) => bytes.readUInt32LE(8 + index * 4));
  return ['S', revision, authority, ...subAuthorities].join('-');
}

/** The binary form of a text SID, to match objectSid in a search filter. */
export function encodeSid(sid: string): Buffer {
  const parts = /^S-(\d+)-(\d+)((?:-\d+)*)$/.exec(sid);
  if (!parts) throw new Error(`"${sid}" is not a SID`);
  const subAuthorities = parts[3] ? parts[3].slice(1).split('-').map(Number) : [];
  const bytes = Buffer.alloc(8 + subAuthorities.length * 4);
  bytes.writeUInt8(Number(parts[1]), 0);
  bytes.writeUInt8(subAuthorities.length, 1);
  bytes.writeUIntBE(Number(parts[2]), 2, 6);
  subAuthorities.forEach((value, index) => bytes.writeUInt32LE(value, 8 + index * 4));
  return bytes;
}

/** The SID of a group in a domain from its relative id (primaryGroupID 513: Domain Users). */
export function sidInDomain(domainSid: string, rid: number): string {
  return `${domainSid}-${rid}`;
}

/**
 * objectGUID's 16 bytes in the canonical text AD shows: the first three fields are little-endian
 * (MS-DTYP 2.3.4.2), the last two byte strings as they are. Lower case, so one user is one string.
 */
export function decodeGuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`A GUID is 16 bytes, got ${bytes.length}`);
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
