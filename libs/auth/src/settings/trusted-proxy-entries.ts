import { isIP } from 'node:net';

import proxyAddr from 'proxy-addr';

/** proxy-addr's named sets, which FLOTILLA_TRUSTED_PROXIES has always accepted. */
const NAMED_SETS = ['loopback', 'linklocal', 'uniquelocal'] as const;
/** More than any real chain of proxies and load balancers; bounds the stored row and the check. */
export const MAX_TRUSTED_PROXY_ENTRIES = 100;
const MAX_ENTRY_LENGTH = 64;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Why the entries cannot be stored, for a 400 naming the first bad one. */
export class InvalidTrustedProxies extends Error {}

/** RFC 5952 text of an address node:net accepted as IPv6. */
function ipv6Text(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * One entry in canonical form: an IPv4 or IPv6 address or CIDR block (IPv6 lower-case compressed;
 * an IPv4-mapped address or block as IPv4, its prefix less 96), or a named set. Throws
 * InvalidTrustedProxies saying what is wrong.
 */
export function canonicalTrustedProxy(raw: string, index: number): string {
  const entry = raw.trim();
  const bad = (why: string): never => {
    throw new InvalidTrustedProxies(
      `entries[${index}] (${JSON.stringify(raw.slice(0, MAX_ENTRY_LENGTH))}): ${why}`,
    );
  };
  if (entry === '' || entry.length > MAX_ENTRY_LENGTH) bad(`must be 1 to ${MAX_ENTRY_LENGTH} characters`);
  if ((NAMED_SETS as readonly string[]).includes(entry)) return entry;
  const [address = '', prefixText, extra] = entry.split('/');
  if (extra !== undefined) bad('must be an address or one CIDR block (address/prefix)');
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0)
    bad(
      `is not an IPv4 or IPv6 address, a CIDR block or one of ${NAMED_SETS.join(', ')} (a host name or zone id is not)`,
    );
  const bits = family === 4 ? 32 : 128;
  let prefix: number | undefined;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) bad(`the prefix must be 0 to ${bits}`);
    prefix = Number(prefixText);
  }
  if (family === 4) return prefix === undefined ? address : `${address}/${prefix}`;
  const canonical = ipv6Text(address);
  const mapped = IPV4_MAPPED.exec(canonical) ?? IPV4_MAPPED.exec(address);
  if (mapped?.[1] && isIP(mapped[1]) === 4) {
    if (prefix === undefined) return mapped[1];
    if (prefix < 96) bad('an IPv4-mapped block needs a prefix of 96 or more');
    return `${mapped[1]}/${prefix - 96}`;
  }
  return prefix === undefined ? canonical : `${canonical}/${prefix}`;
}

/**
 * The list as stored: each entry canonical, duplicates dropped, at most MAX_TRUSTED_PROXY_ENTRIES;
 * proxy-addr must compile it (the gateway's resolver does). Throws InvalidTrustedProxies.
 */
export function canonicalTrustedProxies(entries: readonly string[]): string[] {
  if (entries.length > MAX_TRUSTED_PROXY_ENTRIES)
    throw new InvalidTrustedProxies(`entries: at most ${MAX_TRUSTED_PROXY_ENTRIES}, got ${entries.length}`);
  const canonical = [...new Set(entries.map(canonicalTrustedProxy))];
  try {
    proxyAddr.compile(canonical);
  } catch (error) {
    throw new InvalidTrustedProxies(`entries: ${error instanceof Error ? error.message : String(error)}`);
  }
  return canonical;
}
