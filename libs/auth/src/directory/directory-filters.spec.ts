import { BerReader, BerWriter, EqualityFilter, FilterParser } from 'ldapts';

import { adNestedGroupsFilter, adUserFilter, ldapUserFilter, objectSidFilter } from './directory-filters';

/** What goes on the wire, read back the way a server reads it. */
function roundTrip(filter: { write(writer: BerWriter): void }) {
  const writer = new BerWriter();
  filter.write(writer);
  return FilterParser.parse(new BerReader(writer.buffer));
}

describe('directory filters', () => {
  const hostile = '*)(|(sAMAccountName=*)(\\00';

  it('escapes filter metacharacters in the text form (RFC 4515)', () => {
    expect(adUserFilter({ form: 'account', account: hostile }).toString()).toBe(
      '(&(objectCategory=person)(objectClass=user)(sAMAccountName=\\2a\\29\\28|\\28sAMAccountName=\\2a\\29\\28\\5c00))',
    );
  });

  it('sends a hostile name as one equality value, not as filter syntax', () => {
    const parsed = roundTrip(adUserFilter({ form: 'account', account: hostile }));
    const last = (parsed as unknown as { filters: EqualityFilter[] }).filters[2];
    expect(last).toBeInstanceOf(EqualityFilter);
    expect(last?.attribute.toLowerCase()).toBe('samaccountname');
    expect(last?.value).toBe(hostile);
  });

  it('looks a UPN up by userPrincipalName, and generic LDAP by uid or mail', () => {
    expect(adUserFilter({ form: 'principal', principal: 'a@b' }).toString()).toContain(
      '(userPrincipalName=a@b)',
    );
    expect(ldapUserFilter({ form: 'account', account: 'alice' }).toString()).toBe('(uid=alice)');
    expect(ldapUserFilter({ form: 'principal', principal: 'a@b' }).toString()).toBe('(|(uid=a@b)(mail=a@b))');
  });

  it("asks for nested groups with AD's in-chain rule, the DN escaped as a value", () => {
    const filter = adNestedGroupsFilter('CN=O\\, Brien (ops)*,DC=x');
    expect(filter.toString()).toBe(
      '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=CN=O\\5c, Brien \\28ops\\29\\2a,DC=x))',
    );
  });

  it('matches objectSid by its binary form', () => {
    expect(objectSidFilter('S-1-5-21-1-2-3-513').toString()).toBe(
      '(objectSid=\\01\\05\\00\\00\\00\\00\\00\\05\\15\\00\\00\\00\\01\\00\\00\\00\\02\\00\\00\\00\\03\\00\\00\\00\\01\\02\\00\\00)',
    );
  });
});
