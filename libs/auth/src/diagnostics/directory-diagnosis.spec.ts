import { classifyGroups, describeAccountAttributes, refusalOf, whyNobody } from './directory-diagnosis';

describe('whyNobody', () => {
  const rules = { netbiosDomain: 'FLOTILLA', upnSuffixes: ['flotilla.test'] };

  it('names the other domain, the missing NetBIOS setting and the refused UPN suffix', () => {
    expect(whyNobody('ELSEWHERE\\alice', rules)).toBe('The domain ELSEWHERE is not the configured FLOTILLA');
    expect(whyNobody('FLOTILLA\\alice', { upnSuffixes: [] })).toContain('FLOTILLA_DIRECTORY_NETBIOS_DOMAIN');
    expect(whyNobody('alice@elsewhere.test', rules)).toContain('elsewhere.test is not one of flotilla.test');
    expect(whyNobody('   ', rules)).toBe('The name is empty');
  });
});

describe('classifyGroups', () => {
  it('marks the primary group by id, direct ones by DN in any case, the rest nested; primary first', () => {
    const groups = [
      { id: 'S-1-5-21-1-2-3-1103', dn: 'CN=Level 2,OU=G', name: 'level-2' },
      { id: 'S-1-5-21-1-2-3-1102', dn: 'CN=Level 1,OU=G', name: 'level-1' },
      { id: 'S-1-5-21-1-2-3-513', dn: 'CN=Domain Users,CN=Users', name: 'Domain Users' },
    ];
    expect(classifyGroups(groups, new Set(['cn=level 1,ou=g']), 'S-1-5-21-1-2-3-513')).toEqual([
      { ...groups[2], membership: 'primary' },
      { ...groups[1], membership: 'direct' },
      { ...groups[0], membership: 'nested' },
    ]);
  });
});

describe('describeAccountAttributes / refusalOf', () => {
  it('shows flags in hex and FILETIMEs as dates, and what sign-in would refuse', () => {
    // 2021-01-01T00:00:00Z as FILETIME.
    const attributes = { userAccountControl: '514', accountExpires: '132539328000000000', pwdLastSet: '0' };
    expect(describeAccountAttributes(attributes)).toEqual([
      'userAccountControl=514 (0x202)',
      'accountExpires=132539328000000000 (2021-01-01T00:00:00.000Z)',
      'pwdLastSet=0',
    ]);
    expect(refusalOf(attributes, new Date('2026-12-01T00:00:00Z'))).toMatchObject({
      refusal: 'disabled',
      refusalCode: 'DirectoryAccountDisabled',
    });
    expect(refusalOf({ userAccountControl: '512' }, new Date())).toEqual({
      refusal: '',
      refusalCode: '',
      refusalMessage: '',
    });
  });
});
