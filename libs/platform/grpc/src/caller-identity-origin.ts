import { isIP } from 'node:net';

/**
 * Where a request came from, as the audit trail records it: the resolved client address and
 * the raw X-Forwarded-For it was resolved from. Both are shaped here, once, so that the gateway,
 * every service reading caller metadata, the outbox and the audit service apply the same rules,
 * and no header a client can send makes an audited action fail.
 */
export interface ClientOrigin {
  /** A valid IPv4 or IPv6 address in canonical text (IPv4-mapped IPv6 as IPv4), or '' if unknown. */
  clientIp: string;
  /** The raw X-Forwarded-For, printable ASCII, at most FORWARDED_FOR_MAX_LENGTH characters; '' if none. */
  forwardedFor: string;
}

/** The raw header is kept up to this many characters, cut marker included (README: 1024). */
export const FORWARDED_FOR_MAX_LENGTH = 1024;
/**
 * Column size of `forwarded_for` in the outboxes and the trail: above the bound, so a value the
 * bound produced always fits, and room to raise the bound without a migration.
 */
export const FORWARDED_FOR_COLUMN_LENGTH = 1100;
/** Column size of `client_ip`: the longest IPv6 text is 45 characters; this never shrinks. */
export const CLIENT_IP_COLUMN_LENGTH = 64;

const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
/** gRPC metadata values must be printable ASCII; a header may carry tabs and Latin-1 bytes. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/gu;

/**
 * The canonical text of an IP address, or '' when the text is not exactly one: IPv4 in dotted
 * decimal (no leading zeros), IPv6 lower-cased and compressed (RFC 5952, via the WHATWG URL
 * serialiser), an IPv4-mapped IPv6 address as its IPv4. A zone id (`fe80::1%eth0`), a port
 * (`1.2.3.4:80`, `[::1]:80`), brackets or any other text are not an address.
 */
export function canonicalIpAddress(text: string): string {
  const family = isIP(text);
  if (family === 4) return text;
  // node:net accepts a zone id; an interface name means nothing to the audit trail's reader.
  if (family !== 6 || text.includes('%')) return '';
  const canonical = ipv6Text(text);
  const mapped = IPV4_MAPPED.exec(canonical);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1] ?? '0', 16);
  const low = parseInt(mapped[2] ?? '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** RFC 5952 text of an address node:net accepted as IPv6; '' should the URL parser disagree. */
function ipv6Text(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return '';
  }
}

/**
 * The socket peer in canonical form. A link-local peer may carry its zone id (`fe80::1%eth0`):
 * it is still the real peer, so the zone is dropped rather than the address.
 */
export function canonicalPeerAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return '';
  return canonicalIpAddress(remoteAddress.replace(/%.*$/, ''));
}

/**
 * The raw X-Forwarded-For made safe to carry and store: characters outside printable ASCII
 * escaped as `\xHH` (`\u{H…}` above Latin-1), then cut to FORWARDED_FOR_MAX_LENGTH characters
 * by taking out the middle, marked `...[cut, N characters]...` (N: the escaped length before
 * cutting). Both ends are kept: the start is what the client claimed, the end is what our own
 * proxies appended (the only entries anyone vouches for). Idempotent, so each hop can apply it
 * again to text it did not produce itself.
 */
export function boundForwardedFor(raw: string): string {
  const printable = raw.replace(NOT_PRINTABLE_ASCII, (character) => {
    const code = character.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  if (printable.length <= FORWARDED_FOR_MAX_LENGTH) return printable;
  const marker = `...[cut, ${printable.length} characters]...`;
  const kept = FORWARDED_FOR_MAX_LENGTH - marker.length;
  const head = Math.floor(kept / 2);
  return printable.slice(0, head) + marker + printable.slice(printable.length - (kept - head));
}

/**
 * Shapes an origin received from someone else (caller metadata, an outbox row, a producer's
 * event). A client IP that is not an address is not stored as one; when no raw header came with
 * it, the refused text is kept as `forwardedFor` instead — an older gateway put the header's
 * entry there — so the evidence stays in the trail without ever posing as an address.
 */
export function clientOrigin(clientIp: string, forwardedFor = ''): ClientOrigin {
  const canonical = canonicalIpAddress(clientIp);
  const refused = canonical === '' ? clientIp.trim() : '';
  return { clientIp: canonical, forwardedFor: boundForwardedFor(forwardedFor || refused) };
}
