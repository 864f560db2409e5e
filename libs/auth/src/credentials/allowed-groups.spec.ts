import { AllowedGroups, comparableDn, NotInAllowedGroupRefusal } from './allowed-groups';

const DEPLOYERS = { id: 'S-1-5-21-1-2-3-1104', dn: 'CN=Deployers,OU=Groups,DC=flotilla,DC=test' };
const OPS = { id: 'S-1-5-21-1-2-3-1105', dn: 'CN=Ops \\#1\\, EU,OU=Groups,DC=flotilla,DC=test' };
const OTHER = { id: 'S-1-5-21-1-2-3-1106', dn: 'CN=Other,OU=Groups,DC=flotilla,DC=test' };

describe(AllowedGroups.name, () => {
  it('allows every directory user when no group is configured', () => {
    const any = AllowedGroups.of({});
    expect(any.restricted).toBe(false);
    expect(any.allows([])).toBe(true);
    expect(AllowedGroups.of({ allowedGroups: [] }).refusalFor({ groups: [] })).toBeUndefined();
  });

  it('allows a user one of whose groups has an allowed SID (any letter case)', () => {
    const allowed = new AllowedGroups(['s-1-5-21-1-2-3-1104']);
    expect(allowed.allows([OTHER, DEPLOYERS])).toBe(true);
    expect(allowed.allows([OTHER])).toBe(false);
  });

  it('allows a user one of whose groups has an allowed DN, whatever its case, spacing or escaping', () => {
    const allowed = new AllowedGroups(['cn=ops \\231\\2c eu, ou=groups, dc=Flotilla, dc=TEST']);
    expect(allowed.allows([OPS])).toBe(true);
    expect(allowed.allows([DEPLOYERS, OTHER])).toBe(false);
  });

  it('matches a configured DN against the DN only, and a SID against the SID only', () => {
    const byDn = new AllowedGroups([DEPLOYERS.dn]);
    // A generic LDAP group: keyed on its entryUUID, matched by its DN.
    expect(byDn.allows([{ id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', dn: DEPLOYERS.dn }])).toBe(true);
    expect(byDn.allows([{ id: DEPLOYERS.id, dn: 'CN=Deployers,OU=Moved,DC=flotilla,DC=test' }])).toBe(false);
    // A SID survives the move.
    const bySid = new AllowedGroups([DEPLOYERS.id]);
    expect(bySid.allows([{ id: DEPLOYERS.id, dn: 'CN=Deployers,OU=Moved,DC=flotilla,DC=test' }])).toBe(true);
  });

  it('refuses a user in none of them with a message they can act on', () => {
    const refusal = new AllowedGroups([DEPLOYERS.id]).refusalFor({ groups: [OTHER] });
    expect(refusal).toBeInstanceOf(NotInAllowedGroupRefusal);
    expect(refusal?.code).toBe('DirectoryGroupNotAllowed');
    expect(refusal?.message).toMatch(
      /^DirectoryGroupNotAllowed: your account is not in a group allowed to use Flotilla; ask /,
    );
    expect(new AllowedGroups([DEPLOYERS.id]).refusalFor({ groups: [] })).toBeInstanceOf(
      NotInAllowedGroupRefusal,
    );
  });
});

describe(comparableDn.name, () => {
  it('resolves hex and character escapes, including UTF-8 bytes', () => {
    expect(comparableDn('CN=J\\C3\\B6rg\\2C A,DC=x')).toBe(comparableDn('cn=jörg\\, a , dc=X'));
  });

  it('keeps distinct DNs distinct (an escaped comma is not a separator)', () => {
    expect(comparableDn('CN=a\\,b,DC=x')).not.toBe(comparableDn('CN=a,CN=b,DC=x'));
  });
});
