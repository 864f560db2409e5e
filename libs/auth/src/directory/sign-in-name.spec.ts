import { parseSignInName, SignInNameRules } from './sign-in-name';

describe(parseSignInName.name, () => {
  const rules: SignInNameRules = { netbiosDomain: 'FLOTILLA', upnSuffixes: [] };

  it('reads a bare account name, trimmed, keeping its letter case for the directory to compare', () => {
    expect(parseSignInName('  Alice ', rules)).toEqual({ form: 'account', account: 'Alice' });
  });

  it('reads DOMAIN\\user in any letter case of the domain', () => {
    for (const typed of ['FLOTILLA\\alice', 'flotilla\\ALICE', 'Flotilla\\Alice']) {
      expect(parseSignInName(typed, rules)).toEqual({ form: 'account', account: typed.split('\\')[1] });
    }
  });

  it('treats another domain, an empty part or a second backslash as nobody', () => {
    for (const typed of ['OTHER\\alice', 'FLOTILLA\\', '\\alice', 'FLOTILLA\\a\\b', 'FLOTILLA\\a@b']) {
      expect(parseSignInName(typed, rules)).toBeUndefined();
    }
  });

  it('without a NetBIOS domain (generic LDAP) takes a backslash as part of the name, as a uid may hold one', () => {
    const generic: SignInNameRules = { upnSuffixes: [] };
    expect(parseSignInName('zoë,#(ops)\\*', generic)).toEqual({ form: 'account', account: 'zoë,#(ops)\\*' });
    expect(parseSignInName('FLOTILLA\\alice', generic)).toEqual({
      form: 'account',
      account: 'FLOTILLA\\alice',
    });
    expect(parseSignInName('a\\b@flotilla.test', generic)).toEqual({
      form: 'principal',
      principal: 'a\\b@flotilla.test',
    });
  });

  it('reads a UPN, and with UPN suffixes configured accepts only those (any letter case)', () => {
    expect(parseSignInName('Alice@Flotilla.Test', rules)).toEqual({
      form: 'principal',
      principal: 'Alice@Flotilla.Test',
    });
    const suffixed = { ...rules, upnSuffixes: ['flotilla.test'] };
    expect(parseSignInName('alice@FLOTILLA.TEST', suffixed)?.form).toBe('principal');
    expect(parseSignInName('alice@evil.example', suffixed)).toBeUndefined();
    expect(parseSignInName('@flotilla.test', rules)).toBeUndefined();
    expect(parseSignInName('alice@', rules)).toBeUndefined();
  });

  it('refuses empty, control characters and overlong names without asking the directory', () => {
    for (const typed of ['', '   ', 'ali\u0000ce', 'ali\nce', 'a'.repeat(1025)]) {
      expect(parseSignInName(typed, rules)).toBeUndefined();
    }
  });

  it('passes filter metacharacters through as data (the filter encodes them, see directory-filters)', () => {
    expect(parseSignInName('*)(uid=*', rules)).toEqual({ form: 'account', account: '*)(uid=*' });
  });
});
