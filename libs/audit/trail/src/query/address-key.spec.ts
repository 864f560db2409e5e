import { addressKey, addressKeyRange } from './address-key';

describe('addressKey', () => {
  it('maps IPv4 into the IPv4-mapped IPv6 range, and IPv6 to its 128 bits, 32 hex digits each', () => {
    expect(addressKey('192.0.2.7')).toBe('00000000000000000000ffffc0000207');
    expect(addressKey('::ffff:192.0.2.7')).toBe(addressKey('192.0.2.7'));
    expect(addressKey('2001:DB8::1')).toBe('20010db8000000000000000000000001');
    expect(addressKey('::1')).toBe('00000000000000000000000000000001');
    expect(addressKey('fe80::')).toBe('fe800000000000000000000000000000');
    expect(addressKey('1:2:3:4:5:6:7:8')).toBe('00010002000300040005000600070008');
  });

  it('answers nothing for what is not exactly one address', () => {
    for (const text of ['', 'example.com', '1.2.3.4:80', '[::1]', 'fe80::1%eth0', '10.0.0.0/8']) {
      expect(addressKey(text)).toBe('');
    }
  });
});

describe('addressKeyRange', () => {
  const inRange = (range: ReturnType<typeof addressKeyRange>, ip: string) =>
    range !== undefined && addressKey(ip) >= range.low && addressKey(ip) <= range.high;

  it('covers exactly the addresses of an IPv4 block, aligned or not on an octet', () => {
    const slash20 = addressKeyRange('10.1.16.0/20');
    expect(inRange(slash20, '10.1.16.0')).toBe(true);
    expect(inRange(slash20, '10.1.31.255')).toBe(true);
    expect(inRange(slash20, '10.1.32.0')).toBe(false);
    expect(inRange(slash20, '10.1.15.255')).toBe(false);
    expect(inRange(addressKeyRange('0.0.0.0/0'), '255.255.255.255')).toBe(true);
    expect(inRange(addressKeyRange('0.0.0.0/0'), '2001:db8::1')).toBe(false);
    expect(addressKeyRange('10.1.2.3/16')).toEqual(addressKeyRange('10.1.0.0/16'));
  });

  it('covers an IPv6 block, and a bare address as itself', () => {
    const block = addressKeyRange('2001:db8::/32');
    expect(inRange(block, '2001:db8:ffff::1')).toBe(true);
    expect(inRange(block, '2001:db9::')).toBe(false);
    expect(addressKeyRange('192.0.2.7')).toEqual({
      low: addressKey('192.0.2.7'),
      high: addressKey('192.0.2.7'),
    });
  });

  it('refuses a prefix too long for its family, or text that is no block', () => {
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'net/8', '10.0.0.0/8/8']) {
      expect(addressKeyRange(text)).toBeUndefined();
    }
  });
});
