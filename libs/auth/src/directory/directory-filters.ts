import { AndFilter, EqualityFilter, ExtensibleFilter, Filter, OrFilter } from 'ldapts';

import { encodeSid } from './directory-ids';
import type { SignInName } from './sign-in-name';

/**
 * Search filters as ldapts filter objects, never as text: each value is encoded as its own BER
 * octet string, so `*`, `(`, `)`, `\` or NUL in a typed name are data and cannot change the
 * filter (RFC 4511 4.5.1; the text form, for logs, is RFC 4515-escaped by ldapts).
 */

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nesting, answered by the DC. */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

const equals = (attribute: string, value: string | Buffer): Filter =>
  new EqualityFilter({ attribute, value: value as string });

/** An AD user account (not a computer, contact or group) by sAMAccountName or userPrincipalName. */
export function adUserFilter(name: SignInName): Filter {
  return new AndFilter({
    filters: [
      equals('objectCategory', 'person'),
      equals('objectClass', 'user'),
      name.form === 'account'
        ? equals('sAMAccountName', name.account)
        : equals('userPrincipalName', name.principal),
    ],
  });
}

/** A generic LDAP person by uid, or (for user@host) by uid or mail. */
export function ldapUserFilter(name: SignInName): Filter {
  if (name.form === 'account') return equals('uid', name.account);
  return new OrFilter({ filters: [equals('uid', name.principal), equals('mail', name.principal)] });
}

/** Every AD group the entry is a member of, directly or through nested groups. */
export function adNestedGroupsFilter(memberDn: string): Filter {
  return new AndFilter({
    filters: [
      equals('objectClass', 'group'),
      new ExtensibleFilter({ matchType: 'member', rule: IN_CHAIN_RULE, value: memberDn }),
    ],
  });
}

/** The AD object with this SID (the primary group: domain SID + primaryGroupID). */
export function objectSidFilter(sid: string): Filter {
  return equals('objectSid', encodeSid(sid));
}

/** Generic LDAP groups listing any of these DNs as a member (groupOfNames / groupOfUniqueNames). */
export function ldapGroupsWithMembersFilter(memberDns: readonly string[]): Filter {
  return new OrFilter({
    filters: memberDns.flatMap((dn) => [equals('member', dn), equals('uniqueMember', dn)]),
  });
}
