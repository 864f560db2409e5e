import { escapeDnValue, fileTime, LdifEntry, unicodePwd } from './ldif';

/** The test domain every seeded DC carries. */
export const SAMBA_AD_DOMAIN = {
  realm: 'FLOTILLA.TEST',
  dnsDomain: 'flotilla.test',
  netbiosDomain: 'FLOTILLA',
  netbiosName: 'DC1',
  /** The name Samba's self-signed certificate carries (its subject CN; it has no subjectAltName). */
  hostName: 'dc1.flotilla.test',
  baseDn: 'DC=flotilla,DC=test',
} as const;

/** 'nested300': the basic seed plus NESTED (samba-ad-nested-seed.ts). */
export type SambaAdSeed = 'basic' | 'bulk' | 'nested300';

export interface SeededUser {
  sam: string;
  upn: string;
  password: string;
  dn: string;
}

export interface SeededGroup {
  dn: string;
  /** The cn. */
  name: string;
  /** sAMAccountName: the name, except that AD refuses `, \\ *` and some others there. */
  sam: string;
}

const BASE = SAMBA_AD_DOMAIN.baseDn;
export const FLOTILLA_OU = `OU=Flotilla,${BASE}`;
export const PEOPLE_OU = `OU=People,${FLOTILLA_OU}`;
/** Groups meant for a group base: everything the seed's users belong to except `outside`. */
export const GROUPS_OU = `OU=Groups,${FLOTILLA_OU}`;
export const BULK_USERS_OU = `OU=Bulk People,${FLOTILLA_OU}`;
export const BULK_GROUPS_OU = `OU=Bulk Groups,${FLOTILLA_OU}`;
const USERS_CN = `CN=Users,${BASE}`;

/** userAccountControl flags (MS-ADTS 2.2.16). */
export const UAC = { ACCOUNTDISABLE: 0x2, PASSWD_NOTREQD: 0x20, NORMAL_ACCOUNT: 0x200 } as const;
/** groupType of a global security group. */
const GLOBAL_SECURITY_GROUP = -2147483646;

export interface UserSpec {
  cn: string;
  sam: string;
  /** '' for an account without a password. */
  password: string;
  container: string;
  extra?: Record<string, string>;
}

/**
 * The basic seed's users. Passwords meet Samba's default complexity rule (three character classes,
 * not containing the account name); the special user's has non-ASCII letters, as real ones do.
 */
const USERS = {
  service: { cn: 'svc-flotilla', sam: 'svc-flotilla', password: 'Search-Account-Pw-1', container: USERS_CN },
  alice: { cn: 'Alice Archer', sam: 'alice', password: 'Flotilla-Test-Pw-A1', container: PEOPLE_OU },
  bob: { cn: 'Bob Baker', sam: 'bob', password: 'Flotilla-Test-Pw-B2', container: PEOPLE_OU },
  /** CN with `, # ( ) \ *` and non-ASCII; sAMAccountName with what AD allows of them (not `, \ *`). */
  special: {
    cn: 'Jörg Ünal, #1 (ops) \\ *',
    sam: 'jörg.ünal#(ops)',
    password: 'Pässwörd-Straße-7',
    container: PEOPLE_OU,
  },
  /** primaryGroupID points at `primary` (set after the add, see primaryGroupUserKey). */
  primary: { cn: 'Carol Primary', sam: 'carol', password: 'Flotilla-Test-Pw-C3', container: PEOPLE_OU },
  disabled: {
    cn: 'Dave Disabled',
    sam: 'dave',
    password: 'Flotilla-Test-Pw-D4',
    container: PEOPLE_OU,
    extra: { userAccountControl: String(UAC.NORMAL_ACCOUNT | UAC.ACCOUNTDISABLE) },
  },
  /** lockoutTime is written on each instance's copy just before it starts (lockouts expire). */
  locked: { cn: 'Erin Locked', sam: 'erin', password: 'Flotilla-Test-Pw-E5', container: PEOPLE_OU },
  expired: {
    cn: 'Frank Expired',
    sam: 'frank',
    password: 'Flotilla-Test-Pw-F6',
    container: PEOPLE_OU,
    extra: { accountExpires: fileTime(new Date('2020-01-01T00:00:00Z')) },
  },
  /** pwdLastSet=0 is written after the password (setting a password sets pwdLastSet). */
  mustChange: { cn: 'Grace Change', sam: 'grace', password: 'Flotilla-Test-Pw-G7', container: PEOPLE_OU },
} satisfies Record<string, UserSpec>;

export type BasicUserKey = keyof typeof USERS;

export interface GroupSpec {
  name: string;
  /** sAMAccountName when it cannot be the name. */
  sam?: string;
  container: string;
  /** Member keys: users of USERS or other groups of GROUPS. */
  members: readonly string[];
}

/** The basic seed's groups; member keys name users (USERS) or groups (GROUPS). */
const GROUPS = {
  /** alice -> level1 -> level2 -> level3: nesting three levels deep. */
  level1: { name: 'flotilla-level-1', container: GROUPS_OU, members: ['alice', 'special'] },
  level2: { name: 'flotilla-level-2', container: GROUPS_OU, members: ['level1'] },
  level3: { name: 'flotilla-level-3', container: GROUPS_OU, members: ['level2'] },
  /** A group name with `, # ( ) \ *` and non-ASCII. */
  special: {
    name: 'Ops #1, (EU) \\ * Übersee',
    sam: 'ops#1 (eu) übersee',
    container: GROUPS_OU,
    members: ['alice', 'special'],
  },
  /** carol's primary group: listed by her primaryGroupID only, never in its `member`. */
  primary: { name: 'flotilla-primary-staff', container: GROUPS_OU, members: ['primary'] },
  /** Outside OU=Groups: a group base scoped to GROUPS_OU must not see it. */
  outside: { name: 'flotilla-outside-base', container: USERS_CN, members: ['alice'] },
  /** A cycle (cycleA in cycleB in cycleA) with bob in cycleA: walks must detect it. */
  cycleA: { name: 'flotilla-cycle-a', container: GROUPS_OU, members: ['bob', 'cycleB'] },
  cycleB: { name: 'flotilla-cycle-b', container: GROUPS_OU, members: ['cycleA'] },
} satisfies Record<string, GroupSpec>;

export type BasicGroupKey = keyof typeof GROUPS;

export const primaryGroupUserKey = 'primary' satisfies BasicUserKey;
export const primaryGroupKey = 'primary' satisfies BasicGroupKey;
export const mustChangeUserKey = 'mustChange' satisfies BasicUserKey;
export const lockedUserKey = 'locked' satisfies BasicUserKey;

/** The bulk seed's sizes (issue 10: a group of 5,000 members and a user in 1,500 groups). */
export const BULK = {
  groupMembers: 5000,
  userGroups: 1500,
  /**
   * The password of the first `withPassword` members. The others are enabled accounts without a
   * password (PASSWD_NOTREQD; SeededUser.password ''): hashing a password costs Samba ~18 ms of
   * CPU (its Kerberos keys), 90 s for all 5,000, and membership tests never sign them in.
   */
  password: 'Bulk-Member-Pw-9',
  withPassword: 20,
} as const;

function userDn(spec: UserSpec): string {
  return `CN=${escapeDnValue(spec.cn)},${spec.container}`;
}

function groupDn(spec: GroupSpec): string {
  return `CN=${escapeDnValue(spec.name)},${spec.container}`;
}

export function groupRecord(spec: GroupSpec): SeededGroup {
  return { dn: groupDn(spec), name: spec.name, sam: spec.sam ?? spec.name };
}

export function seededUser(spec: UserSpec): SeededUser {
  return {
    sam: spec.sam,
    upn: `${spec.sam}@${SAMBA_AD_DOMAIN.dnsDomain}`,
    password: spec.password,
    dn: userDn(spec),
  };
}

export function basicUsers(): Record<BasicUserKey, SeededUser> {
  return Object.fromEntries(Object.entries(USERS).map(([key, spec]) => [key, seededUser(spec)])) as Record<
    BasicUserKey,
    SeededUser
  >;
}

export function basicGroups(): Record<BasicGroupKey, SeededGroup> {
  return Object.fromEntries(
    Object.entries(GROUPS).map(([key, spec]: [string, GroupSpec]) => [key, groupRecord(spec)]),
  ) as Record<BasicGroupKey, SeededGroup>;
}

export function bulkUserSam(index: number): string {
  return `bulk-${String(index).padStart(5, '0')}`;
}

export function bulkUsers(): SeededUser[] {
  return Array.from({ length: BULK.groupMembers }, (_, i) =>
    seededUser({
      cn: bulkUserSam(i + 1),
      sam: bulkUserSam(i + 1),
      password: i < BULK.withPassword ? BULK.password : '',
      container: BULK_USERS_OU,
    }),
  );
}

const bulkMemberUser: UserSpec = {
  cn: 'Many Groups',
  sam: 'many-groups',
  password: 'Flotilla-Test-Pw-M8',
  container: BULK_USERS_OU,
};

const bulkBigGroup: GroupSpec = { name: 'flotilla-bulk-5000', container: BULK_GROUPS_OU, members: [] };

/** The user in 1,500 groups. */
export function bulkManyGroupsUser(): SeededUser {
  return seededUser(bulkMemberUser);
}

/** The group of 5,000 members. */
export function bulkBigGroupRecord(): SeededGroup {
  return groupRecord(bulkBigGroup);
}

export function bulkGroups(): SeededGroup[] {
  return Array.from({ length: BULK.userGroups }, (_, i) => {
    const name = `flotilla-bulk-group-${String(i + 1).padStart(4, '0')}`;
    return groupRecord({ name, container: BULK_GROUPS_OU, members: [] });
  });
}

export function ou(dn: string): LdifEntry {
  return { dn, attributes: { objectClass: 'organizationalUnit' } };
}

export function userEntry(spec: UserSpec): LdifEntry {
  return {
    dn: userDn(spec),
    attributes: {
      objectClass: 'user',
      cn: spec.cn,
      sAMAccountName: spec.sam,
      userPrincipalName: `${spec.sam}@${SAMBA_AD_DOMAIN.dnsDomain}`,
      ...(spec.password
        ? { unicodePwd: unicodePwd(spec.password), userAccountControl: String(UAC.NORMAL_ACCOUNT) }
        : { userAccountControl: String(UAC.NORMAL_ACCOUNT | UAC.PASSWD_NOTREQD) }),
      ...spec.extra,
    },
  };
}

export function groupEntry(group: SeededGroup, members: readonly string[]): LdifEntry {
  return {
    dn: group.dn,
    attributes: {
      objectClass: 'group',
      cn: group.name,
      sAMAccountName: group.sam,
      groupType: String(GLOBAL_SECURITY_GROUP),
      ...(members.length > 0 ? { member: members } : {}),
    },
  };
}

/** The entries of the basic seed, in an order ldbadd accepts (containers, users, groups, then links). */
export function basicSeedEntries(): LdifEntry[] {
  const users = basicUsers();
  const groups = basicGroups();
  const memberDn = (key: string): string =>
    (users as Record<string, SeededUser>)[key]?.dn ?? (groups as Record<string, SeededGroup>)[key].dn;
  const groupAdds = Object.values(GROUPS).map((spec: GroupSpec) => groupEntry(groupRecord(spec), []));
  // Members go in as modifies after every group exists: the cycle makes any add order fail otherwise.
  const memberships: LdifEntry[] = Object.values(GROUPS).map((spec) => ({
    dn: groupDn(spec),
    changetype: 'modify',
    replace: { member: spec.members.map(memberDn) },
  }));
  return [
    ou(FLOTILLA_OU),
    ou(PEOPLE_OU),
    ou(GROUPS_OU),
    ...Object.values(USERS).map((spec: UserSpec) => userEntry(spec)),
    ...groupAdds,
    ...memberships,
  ];
}

/** The bulk seed's adds (on top of the basic seed): one LDIF, loaded by one ldbadd. */
export function bulkSeedEntries(): LdifEntry[] {
  const members = bulkUsers();
  return [
    ou(BULK_USERS_OU),
    ou(BULK_GROUPS_OU),
    ...members.map((user) =>
      userEntry({ cn: user.sam, sam: user.sam, password: user.password, container: BULK_USERS_OU }),
    ),
    userEntry(bulkMemberUser),
    groupEntry(
      groupRecord(bulkBigGroup),
      members.map((user) => user.dn),
    ),
    ...bulkGroups().map((group) => groupEntry(group, [userDn(bulkMemberUser)])),
  ];
}
