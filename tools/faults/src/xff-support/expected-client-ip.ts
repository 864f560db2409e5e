import { isIP, isIPv4 } from 'node:net';

const IPV4_MAPPED_PREFIX = '::ffff:';

/** "::ffff:203.0.113.9" → "203.0.113.9"; anything else unchanged. */
export function withoutIpv4Mapping(address: string): string {
  const lower = address.toLowerCase();
  const mapped = lower.slice(IPV4_MAPPED_PREFIX.length);
  return lower.startsWith(IPV4_MAPPED_PREFIX) && isIPv4(mapped) ? mapped : address;
}

/**
 * The client address a gateway must record, written independently of the gateway's code: start at
 * the socket peer and, while the current hop is a trusted proxy, step one entry left in
 * X-Forwarded-For (the entry that hop appended). An entry that is not an IP address ends the walk:
 * the last valid hop stands, so text in the header can never become the recorded address, and the
 * real peer a trusted proxy appended is never lost behind junk the client sent.
 */
export function expectedClientIp(
  socketPeer: string,
  forwardedFor: string | undefined,
  isTrusted: (address: string) => boolean,
): string {
  const hops = (forwardedFor ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  let current = withoutIpv4Mapping(socketPeer);
  while (isTrusted(current) && hops.length > 0) {
    const next = withoutIpv4Mapping(hops.pop() as string);
    if (isIP(next) === 0) break;
    current = next;
  }
  return current;
}
