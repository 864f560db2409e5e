import { AndFilter, EqualityFilter, ExtensibleFilter, Filter, NoSuchObjectError, OrFilter } from 'ldapts';
import type { Entry } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { AllowedGroups, comparableDn } from '../credentials/allowed-groups';
import { MAX_GROUP_DEPTH } from '../directory/directory-client';
import { IN_CHAIN_RULE, ldapGroupsWithMembersFilter, objectSidFilter } from '../directory/directory-filters';
import { decodeSid } from '../directory/directory-ids';
import { DirectoryProtocolError } from '../directory/directory-refusal';
import { bufferOf, textOf } from '../directory/entry-values';
import { walkGroups } from '../directory/group-walk';
import type { LdapConnection } from '../directory/ldap-connection';

/** An allowed group as the directory has it now. */
interface ResolvedGroup {
  dn: string;
  sid: string;
  /** Under the group base: sign-in finds it through nesting (else only as a primary group). */
  inGroupBase: boolean;
}

/** How a group that is not in the directory is named in the abort's reason. */
export interface GroupWording {
  /** 'allowed group', 'team group'. */
  noun: string;
  /** Where a wrong id would come from. */
  source: string;
}

const ALLOWED_GROUP_WORDING: GroupWording = {
  noun: 'allowed group',
  source: 'FLOTILLA_DIRECTORY_ALLOWED_GROUPS',
};

/** Whether `dn` is `base` or below it. */
export function isUnder(dn: string, base: string): boolean {
  const rdns = JSON.parse(comparableDn(dn)) as unknown[];
  const baseRdns = JSON.parse(comparableDn(base)) as unknown[];
  return JSON.stringify(rdns.slice(rdns.length - baseRdns.length)) === JSON.stringify(baseRdns);
}

/**
 * Which AD users are in the allowed groups, as sign-in would judge them (DirectoryClient.adGroups:
 * nested groups under the group base, the primary group anywhere under the base DN, and the groups
 * under the group base holding that primary group). Resolved once per pass (one in-chain search
 * on groups per allowed group), then asked per batch of users with memberOf equality searches
 * (one per 100 nested groups), so the pass costs a query more per 100 users, not several per
 * user. An allowed group the directory does not have aborts the pass (a typo or a deletion is
 * not a reason to revoke its members).
 */
export class AdAllowedMembership {
  private constructor(
    /** SIDs of the groups whose members by primaryGroupID are allowed. */
    private readonly primarySids: ReadonlySet<string>,
    /** The groups under the group base and every group nested in them: their direct members are in. */
    private readonly nestingDns: readonly string[],
  ) {}

  static async resolve(
    connection: LdapConnection,
    config: DirectoryConfig,
    allowed: AllowedGroups,
    wording: GroupWording = ALLOWED_GROUP_WORDING,
  ): Promise<AdAllowedMembership> {
    const groups: ResolvedGroup[] = [];
    const resolved = (entry: Entry, wanted: string): ResolvedGroup => {
      const sid = bufferOf(entry, 'objectSid');
      if (!sid) throw new DirectoryProtocolError(`The ${wording.noun} ${wanted} has no objectSid`);
      return { dn: entry.dn, sid: decodeSid(sid), inGroupBase: isUnder(entry.dn, config.groupBaseDn) };
    };
    for (const sid of allowed.sids) {
      const { entries } = await connection.search(config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [isGroup(), objectSidFilter(sid)] }),
        attributes: ['objectSid'],
        binaryAttributes: ['objectSid'],
        sizeLimit: 2,
      });
      if (entries.length !== 1) throw notFound(wording, sid, entries.length);
      groups.push(resolved(entries[0], sid));
    }
    for (const dn of allowed.dns) {
      const entries = await connection
        .search(dn, {
          scope: 'base',
          filter: isGroup(),
          attributes: ['objectSid'],
          binaryAttributes: ['objectSid'],
        })
        .then((result) => result.entries)
        .catch((error: unknown) => {
          if (error instanceof NoSuchObjectError) return [];
          throw error;
        });
      if (entries.length !== 1) throw notFound(wording, dn, entries.length);
      groups.push(resolved(entries[0], dn));
    }
    const nested = groups.filter((group) => group.inGroupBase);
    const primarySids = new Set(groups.map((group) => group.sid));
    const nestingDns = new Map(nested.map((group) => [group.dn.toLowerCase(), group.dn]));
    // A primary group nested in an allowed group under the group base lets its members in too.
    for (const group of nested) {
      const { entries } = await connection.search(config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [isGroup(), inChain('memberOf', group.dn)] }),
        attributes: ['objectSid'],
        binaryAttributes: ['objectSid'],
        paged: true,
      });
      for (const entry of entries) {
        const sid = bufferOf(entry, 'objectSid');
        if (sid) primarySids.add(decodeSid(sid));
        nestingDns.set(entry.dn.toLowerCase(), entry.dn);
      }
    }
    return new AdAllowedMembership(primarySids, [...nestingDns.values()]);
  }

  /**
   * Every member through nesting as plain `memberOf` equality filters (OR of at most `perFilter`
   * group DNs each): the groups under the group base and the groups nested in them, resolved
   * above. The same users as one in-chain search on memberOf, which costs a DC more for a whole
   * group, and which Samba refuses outright ("Indexed and full searches both failed") as soon as
   * a candidate user is in 1,500 groups.
   */
  directMemberFilters(perFilter = 100): Filter[] {
    const filters: Filter[] = [];
    for (let start = 0; start < this.nestingDns.length; start += perFilter) {
      filters.push(
        new OrFilter({
          filters: this.nestingDns
            .slice(start, start + perFilter)
            .map((dn) => new EqualityFilter({ attribute: 'memberOf', value: dn })),
        }),
      );
    }
    return filters;
  }

  /**
   * The users whose primaryGroupID may name one of the groups (or a group nested in them), as OR
   * filters of at most `perFilter` RIDs each. A RID is only unique within its domain:
   * `allowsByPrimaryGroup` checks each answer's domain.
   */
  primaryGroupFilters(perFilter = 100): Filter[] {
    const rids = [...new Set([...this.primarySids].map((sid) => sid.replace(/^.*-/, '')))];
    const filters: Filter[] = [];
    for (let start = 0; start < rids.length; start += perFilter) {
      filters.push(
        new OrFilter({
          filters: rids
            .slice(start, start + perFilter)
            .map((rid) => new EqualityFilter({ attribute: 'primaryGroupID', value: rid })),
        }),
      );
    }
    return filters;
  }

  /** The attributes each user entry must carry for `allowsByPrimaryGroup`. */
  static readonly USER_ATTRIBUTES = ['objectSid', 'primaryGroupID'];

  /** Whether the user's primary group (domain SID + primaryGroupID) is allowed. */
  allowsByPrimaryGroup(user: Entry): boolean {
    const sid = bufferOf(user, 'objectSid');
    const rid = Number(textOf(user, 'primaryGroupID'));
    if (!sid || !Number.isInteger(rid) || rid <= 0) return false;
    return this.primarySids.has(`${decodeSid(sid).replace(/-\d+$/, '')}-${rid}`);
  }

  /**
   * The users of `usersFilter` that are members of an allowed group (any depth): memberOf equality
   * on the nested groups (directMemberFilters), ANDed with the batch's indexed ids. The in-chain
   * rule in its place also works on Samba while ANDed with the ids (over all users it fails with
   * the user in 1,500 groups), but costs Samba about 2.5 times the pass
   * (allowed-groups-bulk.scale-spec.ts: 5,002 accounts, ~10 s against ~4 s).
   */
  async membersAmong(connection: LdapConnection, baseDn: string, usersFilter: Filter): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (const direct of this.directMemberFilters()) {
      const answer = await connection.search(baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [usersFilter, direct] }),
        attributes: ['objectGUID'],
        binaryAttributes: ['objectGUID'],
        paged: true,
      });
      entries.push(...answer.entries);
    }
    return entries;
  }
}

/**
 * Generic LDAP has no in-chain rule: the user's groups are walked upwards as sign-in walks them
 * (group-walk.ts, under the group base), one query per nesting level per user.
 */
export async function ldapUserIsAllowed(
  connection: LdapConnection,
  config: DirectoryConfig,
  allowed: AllowedGroups,
  userDn: string,
): Promise<boolean> {
  return allowed.allows(await ldapGroupsOf(connection, config, userDn));
}

/**
 * A generic LDAP user's groups (direct and nested, under the group base) keyed as sign-in keys
 * them: entryUUID in lower case, else the DN. `onReferrals` hears of searches answered in part by
 * references (the caller decides whether that makes the answer uncertain).
 */
export async function ldapGroupsOf(
  connection: LdapConnection,
  config: DirectoryConfig,
  userDn: string,
  onReferrals: () => void = () => undefined,
): Promise<{ id: string; dn: string }[]> {
  return walkGroups(userDn, MAX_GROUP_DEPTH, async (memberDns) => {
    const { entries, referrals } = await connection.search(config.groupBaseDn, {
      scope: 'sub',
      filter: ldapGroupsWithMembersFilter(memberDns),
      attributes: ['entryUUID'],
      paged: true,
    });
    if (referrals.length > 0) onReferrals();
    return entries.map((entry) => ({
      dn: entry.dn,
      group: { id: textOf(entry, 'entryUUID')?.toLowerCase() ?? entry.dn, dn: entry.dn },
    }));
  });
}

function isGroup(): Filter {
  return new EqualityFilter({ attribute: 'objectClass', value: 'group' });
}

function inChain(attribute: string, dn: string): Filter {
  return new ExtensibleFilter({ matchType: attribute, rule: IN_CHAIN_RULE, value: dn });
}

function notFound(wording: GroupWording, group: string, count: number): DirectoryProtocolError {
  return new DirectoryProtocolError(
    count === 0
      ? `The ${wording.noun} ${group} is not in the directory (deleted, moved out of the base DN, or mistyped in ${wording.source}); nothing changed`
      : `The ${wording.noun} ${group} matches ${count} directory entries; nothing changed`,
  );
}
