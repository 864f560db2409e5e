import type { LdifEntry } from './ldif';
import { nestedGroupCount, nestedGroupTree } from './nested-group-tree';
import {
  FLOTILLA_OU,
  GROUPS_OU,
  groupEntry,
  GroupSpec,
  groupRecord,
  ou,
  SeededGroup,
  SeededUser,
  seededUser,
  userEntry,
  UserSpec,
} from './samba-ad-seed';

/**
 * The 'nested300' seed (on top of the basic one), for the sign-in benchmark: one user reaching
 * 300 groups through four levels of nesting (issue 10's "user in 300 nested groups"). The groups
 * sit under GROUPS_OU, so a group base scoped to it sees all of them.
 */
export const NESTED = {
  /** 3 direct groups, each in 3, each of those in 4, each of those in 7: 3 + 9 + 36 + 252. */
  fanouts: [3, 3, 4, 7],
  groups: 300,
} as const;

if (nestedGroupCount(NESTED.fanouts) !== NESTED.groups)
  throw new Error(`NESTED.fanouts make ${nestedGroupCount(NESTED.fanouts)} groups, not ${NESTED.groups}`);

export const NESTED_USERS_OU = `OU=Nested People,${FLOTILLA_OU}`;
export const NESTED_GROUPS_OU = `OU=Nested Groups,${GROUPS_OU}`;

const nestedUserSpec: UserSpec = {
  cn: 'Nested Three Hundred',
  sam: 'nested-300',
  password: 'Flotilla-Test-Pw-N9',
  container: NESTED_USERS_OU,
};

function nestedGroupSpecs(): GroupSpec[] {
  return nestedGroupTree(NESTED.fanouts, 'flotilla-nested').map((node) => ({
    name: node.name,
    container: NESTED_GROUPS_OU,
    members: node.memberName === undefined ? [] : [node.memberName],
  }));
}

/** The user in 300 nested groups. */
export function nestedUser(): SeededUser {
  return seededUser(nestedUserSpec);
}

/** Every group the nested user reaches (direct and nested), level 1 first. */
export function nestedGroups(): SeededGroup[] {
  return nestedGroupSpecs().map(groupRecord);
}

function memberDn(dnOf: ReadonlyMap<string, string>, name: string): string {
  const dn = dnOf.get(name);
  if (!dn) throw new Error(`the nested tree names a member group ${name} it does not have`);
  return dn;
}

/** The nested seed's adds: one LDIF, groups in an order where each member exists before its group. */
export function nestedSeedEntries(): LdifEntry[] {
  const user = nestedUser();
  const specs = nestedGroupSpecs();
  const dnOf = new Map(specs.map((spec) => [spec.name, groupRecord(spec).dn]));
  return [
    ou(NESTED_USERS_OU),
    ou(NESTED_GROUPS_OU),
    userEntry(nestedUserSpec),
    ...specs.map((spec) =>
      groupEntry(
        groupRecord(spec),
        spec.members.length === 0 ? [user.dn] : spec.members.map((name) => memberDn(dnOf, name)),
      ),
    ),
  ];
}
