import { parseSignLicenceArgs, USAGE } from './sign-licence-args';

describe(parseSignLicenceArgs.name, () => {
  const sut = parseSignLicenceArgs;

  it('reads key, licensee, node limit and expiry', () => {
    expect(
      sut(['--key', 'k.pem', '--licensee', 'Acme Ltd', '--node-limit', '3', '--expires', '2027-12-31']),
    ).toEqual({
      keyFile: 'k.pem',
      licence: { licensee: 'Acme Ltd', nodeLimit: 3, expires: '2027-12-31' },
    });
    expect(sut(['--key', 'k.pem', '--licensee', 'Acme', '--node-limit', 'Unlimited']).licence.nodeLimit).toBe(
      'Unlimited',
    );
  });

  it('refuses missing and unknown arguments with the usage line', () => {
    expect(() => sut(['--key', 'k.pem'])).toThrow(USAGE);
    expect(() => sut(['--key', 'k.pem', '--bogus', 'x'])).toThrow('unknown argument "--bogus"');
    expect(() => sut(['--key', '--licensee', 'A'])).toThrow('--key needs a value');
  });
});
