import type { Socket } from 'node:net';

import { ClientIpResolver, normaliseAddress } from './client-ip-resolver';

function requestFrom(remoteAddress: string | undefined, forwardedFor?: string) {
  return {
    socket: { remoteAddress } as Socket,
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  };
}

const resolverTrusting = (...trustedProxies: string[]) => new ClientIpResolver({ trustedProxies });

describe(ClientIpResolver.name, () => {
  describe('without trusted proxies', () => {
    const sut = resolverTrusting();

    it('reads the socket peer', () => {
      expect(sut.resolve(requestFrom('192.0.2.7'))).toBe('192.0.2.7');
    });

    it('ignores X-Forwarded-For entirely', () => {
      expect(sut.resolve(requestFrom('192.0.2.7', '203.0.113.9'))).toBe('192.0.2.7');
    });

    it('unwraps an IPv4-mapped IPv6 peer', () => {
      expect(sut.resolve(requestFrom('::ffff:192.0.2.7'))).toBe('192.0.2.7');
      expect(normaliseAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    });

    it('leaves real IPv6 addresses alone', () => {
      expect(sut.resolve(requestFrom('2001:db8::1'))).toBe('2001:db8::1');
      expect(normaliseAddress('::ffff:abcd')).toBe('::ffff:abcd');
    });

    it('answers empty when the socket is already gone', () => {
      expect(sut.resolve(requestFrom(undefined, '203.0.113.9'))).toBe('');
    });
  });

  describe('behind a trusted IPv4 proxy', () => {
    const sut = resolverTrusting('127.0.0.1');

    it('takes the client from X-Forwarded-For when the peer is the proxy', () => {
      expect(sut.resolve(requestFrom('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
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
  });

  describe('behind a trusted IPv6 proxy', () => {
    const sut = resolverTrusting('2001:db8::/32');

    it('takes an IPv6 client from X-Forwarded-For', () => {
      expect(sut.resolve(requestFrom('2001:db8::1', '2001:db9::42'))).toBe('2001:db9::42');
    });

    it('ignores the header from an IPv6 peer outside the range', () => {
      expect(sut.resolve(requestFrom('2001:db9::1', '2001:db9::42'))).toBe('2001:db9::1');
    });
  });

  it('refuses a malformed trusted-proxy entry at start-up', () => {
    expect(() => resolverTrusting('not-an-ip')).toThrow();
  });
});
