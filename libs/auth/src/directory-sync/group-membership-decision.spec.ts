import {
  emptiedGroup,
  MembershipAccount,
  membershipChanges,
  UserGroupRow,
} from './group-membership-decision';
import { recordableGroupId } from './directory-group-members';

const alice: MembershipAccount = { id: 'u-alice', username: 'alice', externalId: 'g-alice' };
const bob: MembershipAccount = { id: 'u-bob', username: 'bob', externalId: 'g-bob' };
const carol: MembershipAccount = { id: 'u-carol', username: 'carol', externalId: 'g-carol' };
const accounts = [alice, bob, carol];
const OPS = 'S-1-5-21-1-2-3-1101';
const DEV = 'S-1-5-21-1-2-3-1102';

const row = (user: MembershipAccount, groupId: string): UserGroupRow => ({ userId: user.id, groupId });
const members = (entries: Record<string, MembershipAccount[]>) =>
  new Map(Object.entries(entries).map(([id, users]) => [id, new Set(users.map((user) => user.externalId))]));

describe('membershipChanges', () => {
  it('adds the members the table lacks and removes the rows of users who left', () => {
    const changes = membershipChanges(
      accounts,
      [row(alice, OPS), row(bob, OPS)],
      members({ [OPS]: [alice, carol] }),
      new Set(),
    );
    expect(changes).toEqual([
      { groupId: OPS, userId: 'u-bob', username: 'bob', change: 'removed' },
      { groupId: OPS, userId: 'u-carol', username: 'carol', change: 'added' },
    ]);
  });

  it('changes nothing when the table already matches the directory', () => {
    expect(membershipChanges(accounts, [row(alice, OPS)], members({ [OPS]: [alice] }), new Set())).toEqual(
      [],
    );
  });

  it('leaves the rows of groups it did not read, and of users it cannot be sure of', () => {
    const changes = membershipChanges(
      accounts,
      [row(alice, DEV), row(bob, OPS)],
      members({ [OPS]: [] }),
      new Set([bob.externalId]),
    );
    expect(changes).toEqual([]);
  });

  it('never touches rows of users who are not directory accounts', () => {
    const stranger: UserGroupRow = { userId: 'u-local', groupId: OPS };
    expect(membershipChanges(accounts, [stranger], members({ [OPS]: [] }), new Set())).toEqual([]);
  });
});

describe('emptiedGroup', () => {
  it('flags an answer that takes every one of two or more members out of a group', () => {
    const rows = [row(alice, OPS), row(bob, OPS)];
    const changes = membershipChanges(accounts, rows, members({ [OPS]: [] }), new Set());
    expect(emptiedGroup(rows, changes)).toEqual({ groupId: OPS, had: 2 });
  });

  it('lets the only member of a group leave, and a group lose some of its members', () => {
    const single = [row(alice, OPS)];
    expect(
      emptiedGroup(single, membershipChanges(accounts, single, members({ [OPS]: [] }), new Set())),
    ).toBeUndefined();
    const two = [row(alice, OPS), row(bob, OPS)];
    expect(
      emptiedGroup(two, membershipChanges(accounts, two, members({ [OPS]: [alice] }), new Set())),
    ).toBeUndefined();
  });

  it('does not flag a group whose members were all replaced by others', () => {
    const rows = [row(alice, OPS), row(bob, OPS)];
    const changes = membershipChanges(accounts, rows, members({ [OPS]: [carol] }), new Set());
    expect(emptiedGroup(rows, changes)).toBeUndefined();
  });
});

describe('recordableGroupId', () => {
  it('keeps the ids sign-in records: SIDs on AD, entryUUIDs and DNs on generic LDAP', () => {
    expect(recordableGroupId('ad', OPS)).toBe(true);
    expect(recordableGroupId('ad', 'CN=Ops,OU=Groups,DC=example,DC=com')).toBe(false);
    expect(recordableGroupId('ldap', '0c7f2f52-4ad1-4b8e-9d3e-6f1d2c3b4a59')).toBe(true);
    expect(recordableGroupId('ldap', 'cn=ops,ou=groups,dc=example,dc=com')).toBe(true);
    expect(recordableGroupId('ldap', OPS)).toBe(false);
  });
});
