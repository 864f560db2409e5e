import type { Socket } from 'node:net';

import { ClientIpResolver, normaliseAddress } from './client-ip-resolver';

describe(ClientIpResolver.name, () => {
  const sut = new ClientIpResolver();
  const requestFrom = (remoteAddress: string | undefined) => ({ socket: { remoteAddress } as Socket });

  it('reads the socket peer', () => {
    expect(sut.resolve(requestFrom('192.0.2.7'))).toBe('192.0.2.7');
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
    expect(sut.resolve(requestFrom(undefined))).toBe('');
  });
});
