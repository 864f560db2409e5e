import {
  boundForwardedFor,
  canonicalIpAddress,
  canonicalPeerAddress,
  clientOrigin,
  CLIENT_IP_COLUMN_LENGTH,
  FORWARDED_FOR_COLUMN_LENGTH,
  FORWARDED_FOR_MAX_LENGTH,
} from './caller-identity-origin';

describe(canonicalIpAddress.name, () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['::1', '::1'],
    ['::', '::'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:C000:0207', '192.0.2.7'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3'],
    // Not mapped: IPv4-compatible (deprecated) and ::ffff:0:a.b.c.d (SIIT) stay IPv6.
    ['::192.0.2.7', '::c000:207'],
    ['::ffff:0:192.0.2.7', '::ffff:0:c000:207'],
  ])('canonicalises %s as %s', (text, expected) => {
    expect(canonicalIpAddress(text)).toBe(expected);
  });

  it.each([
    '',
    '<script>x</script>',
    'unknown',
    '192.0.2.7:8080',
    '[2001:db8::1]',
    '[2001:db8::1]:443',
    'fe80::1%eth0',
    '01.2.3.4',
    '256.1.1.1',
    ' 192.0.2.7',
    '192.0.2.7, 198.51.100.1',
    '1'.repeat(2048),
  ])('refuses %j', (text) => {
    expect(canonicalIpAddress(text)).toBe('');
  });

  it('fits the longest IPv6 text (45 characters) into at most 39, well inside client_ip', () => {
    const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
    expect(longest).toHaveLength(45);
    expect(canonicalIpAddress(longest)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(CLIENT_IP_COLUMN_LENGTH).toBeGreaterThanOrEqual(45);
  });
});

describe(canonicalPeerAddress.name, () => {
  it('drops the zone id of a link-local peer, which is still the real peer', () => {
    expect(canonicalPeerAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalPeerAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalPeerAddress(undefined)).toBe('');
  });
});

describe(boundForwardedFor.name, () => {
  it('keeps a printable header up to the limit as it is', () => {
    const exact = 'a'.repeat(FORWARDED_FOR_MAX_LENGTH);
    expect(boundForwardedFor('203.0.113.9, <script>x</script>')).toBe('203.0.113.9, <script>x</script>');
    expect(boundForwardedFor(exact)).toBe(exact);
  });

  it('cuts a 2 KB header to the limit, with a marker in the middle that says how long it was', () => {
    const bounded = boundForwardedFor('1'.repeat(2048));
    expect(bounded).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(bounded).toMatch(/^1+\.\.\.\[cut, 2048 characters\]\.\.\.1+$/);
    expect(FORWARDED_FOR_COLUMN_LENGTH).toBeGreaterThanOrEqual(FORWARDED_FOR_MAX_LENGTH);
  });

  it("keeps both ends of a long chain: the client's claim and the hops our proxies appended", () => {
    const bounded = boundForwardedFor(`198.51.100.1, ${'junk, '.repeat(400)}203.0.113.9, 127.0.0.2`);
    expect(bounded.startsWith('198.51.100.1, junk')).toBe(true);
    expect(bounded.endsWith('junk, 203.0.113.9, 127.0.0.2')).toBe(true);
  });

  it('escapes what gRPC metadata cannot carry (tabs, Latin-1, NUL, astral)', () => {
    expect(boundForwardedFor('1.2.3.4,\t\u00e9\u0000\u{1f600}')).toBe('1.2.3.4,\\x09\\xe9\\x00\\u{1f600}');
  });

  it('is idempotent, so each hop may bound again', () => {
    for (const raw of ['1'.repeat(5000), '\u00e9'.repeat(600), 'x, y']) {
      const once = boundForwardedFor(raw);
      expect(boundForwardedFor(once)).toBe(once);
    }
  });
});

describe(clientOrigin.name, () => {
  it('keeps a valid address and the bounded header', () => {
    expect(clientOrigin('::ffff:192.0.2.7', '192.0.2.7')).toEqual({
      clientIp: '192.0.2.7',
      forwardedFor: '192.0.2.7',
    });
  });

  it('never passes non-address text as the client IP; keeps it as evidence when no header came', () => {
    expect(clientOrigin('<script>x</script>')).toEqual({ clientIp: '', forwardedFor: '<script>x</script>' });
    expect(clientOrigin('<script>x</script>', '6.6.6.6, <script>x</script>')).toEqual({
      clientIp: '',
      forwardedFor: '6.6.6.6, <script>x</script>',
    });
    expect(clientOrigin('1'.repeat(2048)).forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
  });

  it('answers an empty origin for an unknown one', () => {
    expect(clientOrigin('')).toEqual({ clientIp: '', forwardedFor: '' });
  });
});
