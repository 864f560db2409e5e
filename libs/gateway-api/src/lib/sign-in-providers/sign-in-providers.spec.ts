import { signInProviders } from './sign-in-providers';

describe('signInProviders', () => {
  it('is null without FLOTILLA_DIRECTORY_KIND', () => {
    expect(signInProviders({ FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: 'CORP' })).toEqual({ directory: null });
  });

  it('names the NetBIOS domain of an AD directory and nothing secret', () => {
    const providers = signInProviders({
      FLOTILLA_DIRECTORY_KIND: 'ad',
      FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: 'flotilla',
      FLOTILLA_DIRECTORY_UPN_SUFFIXES: 'flotilla.test',
      FLOTILLA_DIRECTORY_BIND_PASSWORD: 'secret-bind-password',
      FLOTILLA_DIRECTORY_URLS: 'ldaps://dc1.flotilla.test',
    });
    expect(providers).toEqual({ directory: { kind: 'ad', domain: 'FLOTILLA' } });
    expect(JSON.stringify(providers)).not.toMatch(/secret|ldaps/);
  });

  it('falls back to the first UPN suffix, then to no domain', () => {
    expect(
      signInProviders({
        FLOTILLA_DIRECTORY_KIND: 'ldap',
        FLOTILLA_DIRECTORY_UPN_SUFFIXES: ' Example.org ,b.org',
      }),
    ).toEqual({ directory: { kind: 'ldap', domain: 'example.org' } });
    expect(signInProviders({ FLOTILLA_DIRECTORY_KIND: 'ldap' })).toEqual({
      directory: { kind: 'ldap', domain: null },
    });
  });
});
