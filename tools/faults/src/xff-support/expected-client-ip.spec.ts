import { expectedClientIp } from './expected-client-ip';

const trusted = (address: string) => address === '127.0.0.1';

describe(expectedClientIp.name, () => {
  it('keeps the socket peer of an untrusted source, whatever the header says', () => {
    expect(expectedClientIp('127.0.0.2', '2001:db8::7', trusted)).toBe('127.0.0.2');
  });

  it('takes a trusted peer’s header entry, IPv4-mapped addresses as IPv4', () => {
    expect(expectedClientIp('127.0.0.1', '2001:db8::7', trusted)).toBe('2001:db8::7');
    expect(expectedClientIp('::ffff:127.0.0.1', '::ffff:203.0.113.9', trusted)).toBe('203.0.113.9');
  });

  it('walks past trusted hops to the first untrusted one', () => {
    expect(expectedClientIp('127.0.0.1', '198.51.100.4, 127.0.0.1', trusted)).toBe('198.51.100.4');
    expect(expectedClientIp('127.0.0.1', '198.51.100.4, 127.0.0.2', trusted)).toBe('127.0.0.2');
  });

  it('stops at text: the last valid hop stands', () => {
    expect(expectedClientIp('127.0.0.1', '<script>x</script>', trusted)).toBe('127.0.0.1');
    expect(expectedClientIp('127.0.0.1', '<script>x</script>, 127.0.0.2', trusted)).toBe('127.0.0.2');
  });
});
