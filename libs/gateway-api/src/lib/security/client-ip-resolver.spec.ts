import type { Socket } from 'node:net';

import { FORWARDED_FOR_MAX_LENGTH } from '@flotilla/platform/grpc';

import { ClientIpResolver } from './client-ip-resolver';

function requestFrom(remoteAddress: string | undefined, forwardedFor?: string) {
  return {
    socket: { remoteAddress } as Socket,
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  };
}

const resolverTrusting = (...trustedProxies: string[]) => new ClientIpResolver({ trustedProxies });
const TWO_KB = Array.from({ length: 160 }, (_, i) => `203.0.${i % 250}.${i % 200}`).join(', ');

describe(ClientIpResolver.name, () => {
  describe('without trusted proxies', () => {
    const sut = resolverTrusting();

    it('reads the socket peer', () => {
      expect(sut.resolve(requestFrom('192.0.2.7'))).toBe('192.0.2.7');
    });

    it('ignores X-Forwarded-For for the address, but keeps it as the raw header', () => {
      expect(sut.origin(requestFrom('192.0.2.7', '203.0.113.9'))).toEqual({
        clientIp: '192.0.2.7',
        forwardedFor: '203.0.113.9',
        socketPeer: '192.0.2.7',
      });
    });

    it('unwraps an IPv4-mapped IPv6 peer', () => {
      expect(sut.resolve(requestFrom('::ffff:192.0.2.7'))).toBe('192.0.2.7');
    });

    it('writes an IPv6 peer in one canonical form', () => {
      expect(sut.resolve(requestFrom('2001:DB8:0:0::1'))).toBe('2001:db8::1');
      expect(sut.resolve(requestFrom('fe80::1%eth0'))).toBe('fe80::1');
    });

    it('answers empty when the socket is already gone', () => {
      expect(sut.origin(requestFrom(undefined, '203.0.113.9'))).toEqual({
        clientIp: '',
        forwardedFor: '203.0.113.9',
      });
    });

    it('answers an empty raw header when the request had none', () => {
      expect(sut.origin(requestFrom('192.0.2.7')).forwardedFor).toBe('');
    });
  });

  describe('behind a trusted IPv4 proxy', () => {
    const sut = resolverTrusting('127.0.0.1');

    it('takes the client from X-Forwarded-For when the peer is the proxy', () => {
      expect(sut.origin(requestFrom('127.0.0.1', '203.0.113.9'))).toEqual({
        clientIp: '203.0.113.9',
        forwardedFor: '203.0.113.9',
        socketPeer: '127.0.0.1',
      });
    });

    it('takes the rightmost untrusted address, not a value the client put in front', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '6.6.6.6, 203.0.113.9'))).toBe('203.0.113.9');
    });

    it('recognises the proxy on a dual-stack socket (IPv4-mapped peer)', () => {
      expect(sut.resolve(requestFrom('::ffff:127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    });

    it('ignores a spoofed header from an untrusted peer', () => {
      expect(sut.resolve(requestFrom('198.51.100.4', '127.0.0.1, 203.0.113.9'))).toBe('198.51.100.4');
    });

    it('uses the peer when the proxy sent no header', () => {
      expect(sut.resolve(requestFrom('127.0.0.1'))).toBe('127.0.0.1');
    });

    it('falls back to the peer for non-address text, keeping the text only as the raw header', () => {
      expect(sut.origin(requestFrom('127.0.0.1', '<script>x</script>'))).toEqual({
        clientIp: '127.0.0.1',
        forwardedFor: '<script>x</script>',
        socketPeer: '127.0.0.1',
      });
    });

    it('falls back to the peer for a 2 KB header and keeps it cut to the limit with a marker', () => {
      expect(TWO_KB.length).toBeGreaterThan(2048);
      const origin = sut.origin(requestFrom('127.0.0.1', TWO_KB.replace(/, /g, ',')));
      expect(origin.clientIp).toBe('203.0.159.159');
      const junk = sut.origin(requestFrom('127.0.0.1', 'x'.repeat(2048)));
      expect(junk.clientIp).toBe('127.0.0.1');
      expect(junk.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
      expect(junk.forwardedFor).toMatch(/^x+\.\.\.\[cut, 2048 characters\]\.\.\./);
    });

    it('keeps both ends of a long list of addresses, up to the limit', () => {
      const origin = sut.origin(requestFrom('127.0.0.1', TWO_KB));
      expect(origin.forwardedFor.startsWith(TWO_KB.slice(0, 450))).toBe(true);
      expect(origin.forwardedFor.endsWith(TWO_KB.slice(-450))).toBe(true);
      expect(origin.forwardedFor).toMatch(
        new RegExp(`\\.\\.\\.\\[cut, ${TWO_KB.length} characters\\]\\.\\.\\.`),
      );
      expect(origin.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    });

    it('takes a valid rightmost entry even when a client put junk in front of it', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '<script>x</script>, 203.0.113.9'))).toBe('203.0.113.9');
    });

    it('falls back to the peer when the entry it vouched for is junk, whatever stands before it', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9, <script>x</script>'))).toBe('127.0.0.1');
      expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9:4711'))).toBe('127.0.0.1');
      expect(sut.resolve(requestFrom('127.0.0.1', '[2001:db8::1]:443'))).toBe('127.0.0.1');
      expect(sut.resolve(requestFrom('127.0.0.1', 'fe80::1%eth0'))).toBe('127.0.0.1');
      expect(sut.resolve(requestFrom('127.0.0.1', 'unknown'))).toBe('127.0.0.1');
    });

    it('unwraps an IPv4-mapped client and canonicalises an IPv6 one from the header', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '::FFFF:203.0.113.9'))).toBe('203.0.113.9');
      expect(sut.resolve(requestFrom('127.0.0.1', '2001:DB8:0:0:0:0:0:42'))).toBe('2001:db8::42');
    });
  });

  describe('behind a chain of trusted proxies given as CIDRs', () => {
    const sut = resolverTrusting('10.0.0.0/8', '127.0.0.1');

    it('skips every trusted hop from the right', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '6.6.6.6, 203.0.113.9, 10.1.2.3, 10.9.9.9'))).toBe(
        '203.0.113.9',
      );
    });

    it('answers the leftmost address when every hop is trusted', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '10.0.0.5, 10.1.2.3'))).toBe('10.0.0.5');
    });

    it('does not trust an address just outside the range', () => {
      expect(sut.resolve(requestFrom('11.0.0.1', '203.0.113.9'))).toBe('11.0.0.1');
    });

    it('stops at junk a trusted hop passed on, keeping the last address it vouched for', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9, bogus, 10.1.2.3'))).toBe('10.1.2.3');
      expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9, 10.1.2.3:8080'))).toBe('127.0.0.1');
    });
  });

  describe('behind a trusted IPv6 proxy', () => {
    const sut = resolverTrusting('2001:db8::/32');

    it('takes an IPv6 client from X-Forwarded-For', () => {
      expect(sut.resolve(requestFrom('2001:db8::1', '2001:db9::42'))).toBe('2001:db9::42');
    });

    it('ignores the header from an IPv6 peer outside the range', () => {
      expect(sut.resolve(requestFrom('2001:db9::1', '2001:db9::42'))).toBe('2001:db9::1');
    });

    it('falls back to the IPv6 peer, canonical, for junk', () => {
      expect(sut.resolve(requestFrom('2001:DB8::1', '<script>x</script>'))).toBe('2001:db8::1');
    });
  });

  it('refuses a malformed trusted-proxy entry at start-up', () => {
    expect(() => resolverTrusting('not-an-ip')).toThrow();
  });

  it('follows a changed list from the next request on, and keeps its list when the new one does not compile', () => {
    const sut = resolverTrusting('127.0.0.1');
    expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    sut.useTrustedProxies(['10.0.0.0/8', '::ffff:192.0.2.1']);
    expect(sut.trustedProxies).toEqual(['10.0.0.0/8', '::ffff:192.0.2.1']);
    expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(sut.resolve(requestFrom('10.9.9.9', '203.0.113.9'))).toBe('203.0.113.9');
    expect(sut.resolve(requestFrom('::ffff:192.0.2.1', '203.0.113.9'))).toBe('203.0.113.9');
    expect(() => sut.useTrustedProxies(['10.0.0.0/99'])).toThrow();
    expect(sut.resolve(requestFrom('10.9.9.9', '203.0.113.9'))).toBe('203.0.113.9');
    sut.useTrustedProxies([]);
    expect(sut.resolve(requestFrom('10.9.9.9', '203.0.113.9'))).toBe('10.9.9.9');
  });
});
