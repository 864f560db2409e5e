import {
  canonicalTrustedProxies,
  canonicalTrustedProxy,
  InvalidTrustedProxies,
  MAX_TRUSTED_PROXY_ENTRIES,
} from './trusted-proxy-entries';

describe(canonicalTrustedProxy.name, () => {
  it.each([
    ['10.0.0.5', '10.0.0.5'],
    [' 10.1.0.0/16 ', '10.1.0.0/16'],
    ['2001:DB8:0::1', '2001:db8::1'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::1', '::1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:10.0.0.0/104', '10.0.0.0/8'],
    ['loopback', 'loopback'],
    ['uniquelocal', 'uniquelocal'],
  ])('stores %j as %j', (entry, canonical) => {
    expect(canonicalTrustedProxy(entry, 0)).toBe(canonical);
  });

  it.each([
    ['', 'must be 1 to 64 characters'],
    ['proxy.example.com', 'is not an IPv4 or IPv6 address'],
    ['10.0.0.256', 'is not an IPv4 or IPv6 address'],
    ['10.0.0.0/33', 'the prefix must be 0 to 32'],
    ['2001:db8::/129', 'the prefix must be 0 to 128'],
    ['10.0.0.0/8/8', 'one CIDR block'],
    ['fe80::1%eth0', 'zone id'],
    ['::ffff:10.0.0.0/64', 'a prefix of 96 or more'],
    ['10.0.0.1:8080', 'is not an IPv4 or IPv6 address'],
  ])('refuses %j, saying %j', (entry, why) => {
    expect(() => canonicalTrustedProxy(entry, 3)).toThrow(InvalidTrustedProxies);
    expect(() => canonicalTrustedProxy(entry, 3)).toThrow(why);
    expect(() => canonicalTrustedProxy(entry, 3)).toThrow(/^entries\[3\]/);
  });
});

describe(canonicalTrustedProxies.name, () => {
  it('drops duplicates after making each entry canonical', () => {
    expect(canonicalTrustedProxies(['10.0.0.5', '::ffff:10.0.0.5', '2001:DB8::1', '2001:db8::1'])).toEqual([
      '10.0.0.5',
      '2001:db8::1',
    ]);
    expect(canonicalTrustedProxies([])).toEqual([]);
  });

  it(`refuses more than ${MAX_TRUSTED_PROXY_ENTRIES} entries`, () => {
    const many = Array.from({ length: MAX_TRUSTED_PROXY_ENTRIES + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    expect(() => canonicalTrustedProxies(many)).toThrow(
      `entries: at most ${MAX_TRUSTED_PROXY_ENTRIES}, got 101`,
    );
  });
});
