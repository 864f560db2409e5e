import { isIP } from 'node:net';

import { canonicalIpAddress } from '@flotilla/platform/grpc';

/**
 * An address as a fixed-width key the databases can compare as text: the 128-bit IPv6 form in 32
 * lower-case hex digits, an IPv4 address as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). A CIDR
 * block is then a range of keys (`BETWEEN low AND high`), one index on both dialects. Hex digits
 * in lower case sort the same under PostgreSQL's collations and SQL Server's _CI_ ones.
 */
export const ADDRESS_KEY_LENGTH = 32;

const MAPPED_IPV4_PREFIX = 0xffffn << 32n;

function toKey(value: bigint): string {
  return value.toString(16).padStart(ADDRESS_KEY_LENGTH, '0');
}

/** The 128-bit value of a canonical address (IPv4 dotted, or IPv6 as WHATWG URL writes it). */
function addressValue(canonical: string): bigint {
  if (isIP(canonical) === 4) {
    const ipv4 = canonical.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
    return MAPPED_IPV4_PREFIX | ipv4;
  }
  const [head = '', tail] = canonical.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** The key of an address, or '' when the text is not one (what canonicalIpAddress accepts). */
export function addressKey(text: string): string {
  const canonical = canonicalIpAddress(text);
  return canonical ? toKey(addressValue(canonical)) : '';
}

export interface AddressKeyRange {
  low: string;
  high: string;
}

/**
 * The keys an address or CIDR block covers (`10.1.0.0/16`, `2001:db8::/32`, a bare address as
 * one key); undefined when the text is neither. Bits below the prefix may be set (`10.1.2.3/16`
 * means 10.1.0.0/16), as most tools read it.
 */
export function addressKeyRange(text: string): AddressKeyRange | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const canonical = canonicalIpAddress(address);
  if (!canonical) return undefined;
  const ipv4 = isIP(canonical) === 4;
  const bits = ipv4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  const hostBits = BigInt(bits - Number(prefixText));
  const hostMask = (1n << hostBits) - 1n;
  const value = addressValue(canonical);
  return { low: toKey(value & ~hostMask), high: toKey(value | hostMask) };
}
