import { createHash, randomBytes } from 'node:crypto';

import { escapeDnValue } from '../samba-ad/ldif';

/**
 * What the OpenLDAP test server holds, as plain records: the LDIF is made from them, and specs
 * read names, passwords and DNs from them (never their own copies). Keys (entryUUID) are not
 * here: slapadd makes them, and startOpenLdap reads them back from the server.
 */

export const OPENLDAP_BASE_DN = 'dc=flotilla,dc=test';
export const PEOPLE_OU = `ou=people,${OPENLDAP_BASE_DN}`;
export const GROUPS_OU = `ou=groups,${OPENLDAP_BASE_DN}`;
export const SERVICES_OU = `ou=services,${OPENLDAP_BASE_DN}`;
/** Groups outside the group base: a walk scoped to GROUPS_OU must not report them. */
export const ELSEWHERE_OU = `ou=elsewhere,${OPENLDAP_BASE_DN}`;
export const OPENLDAP_MAIL_DOMAIN = 'flotilla.test';

/** The server's size limit for a search that is not paged (and for the limited account's paged ones). */
export const OPENLDAP_SIZE_LIMIT = 500;
/** Members of groups.big and the groups users.many is in: past the size limit, and past AD's 1,000 page. */
export const OPENLDAP_BULK = { bigGroupMembers: 1200, groupsOfMany: 1100 } as const;
/**
 * The generic-LDAP group walk's depth limit (MAX_GROUP_DEPTH in libs/auth, asserted equal by the
 * specs): users.deepEdge sits exactly this many levels deep, users.deep DEEP_CHAIN_LENGTH deep.
 */
export const GROUP_DEPTH_UNDER_TEST = 32;
export const DEEP_CHAIN_LENGTH = 40;

export interface OpenLdapUser {
  dn: string;
  uid: string;
  mail: string;
  cn: string;
  password: string;
}

export interface OpenLdapGroup {
  dn: string;
  cn: string;
}

/** A user's or group's key as startOpenLdap read it back (entryUUID, lower case). */
export type Keyed<T> = T & { entryUuid: string };

interface SeedUser extends OpenLdapUser {
  key: string;
}

const person = (key: string, uid: string, cn: string, mail = `${uid}@${OPENLDAP_MAIL_DOMAIN}`): SeedUser => ({
  key,
  uid,
  cn,
  mail,
  dn: `uid=${escapeDnValue(uid)},${PEOPLE_OU}`,
  // Distinct per user: a password that works for one user must not work for another.
  password: `Pw-${key}-9x!`,
});

const group = (cn: string, base = GROUPS_OU): OpenLdapGroup => ({
  cn,
  dn: `cn=${escapeDnValue(cn)},${base}`,
});

/** The hand-made users; keys are what specs ask for. */
export function seedUsers(): Record<string, OpenLdapUser> {
  const users = [
    person('alice', 'alice', 'Alice Example'),
    person('bob', 'bob', 'Bob Example'),
    // `, # ( ) \ *` and non-ASCII in the uid (so in the RDN) and the cn.
    person('special', 'zoë,#(ops)\\*', "Zoë O'Brien, #1 (ops) \\ *", `zoe.special@${OPENLDAP_MAIL_DOMAIN}`),
    // A user literally named `*`: signing in as `*` must find this one entry and no other.
    person('star', '*', 'Star Literal', `star@${OPENLDAP_MAIL_DOMAIN}`),
    // Renamed by a spec (modrdn): the same entryUUID under another uid.
    person('renamed', 'before-rename', 'Renamed Person'),
    person('deep', 'deep', 'Deep Chain'),
    person('deepEdge', 'deep-edge', 'Deep Edge'),
    person('many', 'many', 'In Many Groups'),
  ];
  return Object.fromEntries(users.map(({ key, ...user }) => [key, user]));
}

/** The search account and one whose paged searches the server caps at OPENLDAP_SIZE_LIMIT. */
export function serviceAccounts() {
  return {
    service: { dn: `cn=flotilla-search,${SERVICES_OU}`, password: 'Search-Account-1!' },
    limited: { dn: `cn=flotilla-limited,${SERVICES_OU}`, password: 'Limited-Account-1!' },
  };
}

export function bulkUsers(): OpenLdapUser[] {
  return Array.from({ length: OPENLDAP_BULK.bigGroupMembers }, (_, i) => {
    const uid = `bulk-${String(i + 1).padStart(4, '0')}`;
    const { key: _key, ...user } = person(uid, uid, `Bulk User ${i + 1}`);
    return user;
  });
}

export function groupsOfMany(): OpenLdapGroup[] {
  return Array.from({ length: OPENLDAP_BULK.groupsOfMany }, (_, i) =>
    group(`many-${String(i + 1).padStart(4, '0')}`),
  );
}

/** deep-01 (users.deep in it) in deep-02 ... in deep-40; users.deepEdge is in the group 32 from the top. */
export function deepChain(): OpenLdapGroup[] {
  return Array.from({ length: DEEP_CHAIN_LENGTH }, (_, i) => group(`deep-${String(i + 1).padStart(2, '0')}`));
}

/**
 * Keys: level1 (alice, special group) in level2 in level3; special (users.special; `, # ( ) \ *`
 * and non-ASCII in its name); cycleA (bob, cycleB) and cycleB (cycleA); outside (alice; under
 * ELSEWHERE_OU); big (OPENLDAP_BULK.bigGroupMembers bulk users and alice); renamedTeam (users.renamed).
 */
export function seedGroups(): Record<string, OpenLdapGroup> {
  return {
    level1: group('level1'),
    level2: group('level2'),
    level3: group('level3'),
    special: group('Ops, #1 (special) \\ * Ünïcode'),
    cycleA: group('cycle-a'),
    cycleB: group('cycle-b'),
    outside: group('outside', ELSEWHERE_OU),
    big: group('big'),
    renamedTeam: group('renamed-team'),
  };
}

/** {SSHA}: what an OpenLDAP administrator would store (slapd checks it on bind). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

type Attributes = Record<string, string | readonly string[]>;

/** A value may be written plainly only when it is printable ASCII without a leading `:` `<` or space. */
function ldifLine(name: string, value: string): string {
  const plain = /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ');
  return plain ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** One LDIF record (RFC 2849) as slapadd reads it: no changetype. */
function record(dn: string, attributes: Attributes): string {
  const lines = [ldifLine('dn', dn)];
  for (const [name, value] of Object.entries(attributes)) {
    for (const one of typeof value === 'string' ? [value] : value) lines.push(ldifLine(name, one));
  }
  return `${lines.join('\n')}\n`;
}

const ou = (dn: string, name: string) => record(dn, { objectClass: 'organizationalUnit', ou: name });

const userRecord = (user: OpenLdapUser) =>
  record(user.dn, {
    objectClass: 'inetOrgPerson',
    uid: user.uid,
    cn: user.cn,
    sn: user.cn.split(' ').pop() || user.cn,
    displayName: user.cn,
    mail: user.mail,
    userPassword: ssha(user.password),
  });

const groupRecord = (g: OpenLdapGroup, members: readonly string[]) =>
  record(g.dn, { objectClass: 'groupOfNames', cn: g.cn, member: members });

/** The whole directory as one LDIF, parents before children (slapadd loads it in one pass). */
export function seedLdif(): string {
  const users = seedUsers();
  const groups = seedGroups();
  const services = serviceAccounts();
  const at = (key: string): string => users[key].dn;
  const dnOf = (key: string): string => groups[key].dn;
  const chain = deepChain();
  const bulk = bulkUsers();
  const parts = [
    record(OPENLDAP_BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'flotilla', o: 'Flotilla' }),
    ou(PEOPLE_OU, 'people'),
    ou(GROUPS_OU, 'groups'),
    ou(SERVICES_OU, 'services'),
    ou(ELSEWHERE_OU, 'elsewhere'),
    ...Object.values(services).map((account) =>
      record(account.dn, {
        objectClass: ['organizationalRole', 'simpleSecurityObject'],
        cn: account.dn.slice(3, account.dn.indexOf(',')),
        userPassword: ssha(account.password),
      }),
    ),
    ...Object.values(users).map(userRecord),
    ...bulk.map(userRecord),
    groupRecord(groups['special'], [at('special')]),
    groupRecord(groups['level1'], [at('alice'), dnOf('special')]),
    groupRecord(groups['level2'], [dnOf('level1')]),
    groupRecord(groups['level3'], [dnOf('level2')]),
    // groupOfNames needs a member: cycle-a is made listing bob only, cycle-b lists cycle-a, and
    // cycle-a's second member (cycle-b) is any DN value (no referential check in slapadd).
    groupRecord(groups['cycleA'], [at('bob'), dnOf('cycleB')]),
    groupRecord(groups['cycleB'], [dnOf('cycleA')]),
    groupRecord(groups['outside'], [at('alice')]),
    groupRecord(groups['big'], [at('alice'), ...bulk.map((user) => user.dn)]),
    groupRecord(groups['renamedTeam'], [at('renamed')]),
    ...groupsOfMany().map((g) => groupRecord(g, [at('many')])),
    ...chain.map((g, i) => {
      const members = [i === 0 ? at('deep') : chain[i - 1].dn];
      if (i === DEEP_CHAIN_LENGTH - GROUP_DEPTH_UNDER_TEST) members.push(at('deepEdge'));
      return groupRecord(g, members);
    }),
  ];
  return parts.join('\n');
}
