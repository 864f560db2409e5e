import { AndFilter, EqualityFilter, NoSuchObjectError, PresenceFilter } from 'ldapts';
import type { Entry, Filter } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { AllowedGroups } from '../credentials/allowed-groups';
import { DirectoryClient } from '../directory/directory-client';
import { decodeGuid } from '../directory/directory-ids';
import { DirectoryProtocolError } from '../directory/directory-refusal';
import { bufferOf, textOf } from '../directory/entry-values';
import type { LdapConnection } from '../directory/ldap-connection';

import { AdAllowedMembership, GroupWording, ldapGroupsOf } from './allowed-membership';
import { IDS_PER_SEARCH } from './directory-account-reader';
import { anyIdFilter } from './object-guid-filter';

/** What the directory says of the team groups' members among Flotilla's directory accounts. */
export interface TeamGroupMembers {
  /** Per group id: the external ids (of those asked) the directory has in that group. */
  members: Map<string, Set<string>>;
  /**
   * External ids whose absence from a group proves nothing: part of the answer for them lay behind
   * a referral the configuration follows, which these searches do not.
   */
  uncertain: Set<string>;
}

const TEAM_GROUP: GroupWording = { noun: 'team group', source: 'the team (or the group was deleted)' };

const SID = /^S-1-\d+(-\d+)+$/;

/** Whether the text is a group id sign-in can record for this kind of directory (AD: a SID). */
export function recordableGroupId(kind: DirectoryConfig['kind'], id: string): boolean {
  return kind === 'ad' ? SID.test(id) : !SID.test(id);
}

/** AD user accounts (the objects sign-in finds: adUserFilter). */
const AD_PERSON: Filter[] = [
  new EqualityFilter({ attribute: 'objectCategory', value: 'person' }),
  new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
];

/**
 * Reads the complete membership of the groups teams name, judged as sign-in judges it
 * (DirectoryClient.adGroups / ldapGroups), so the rows the sync writes are the rows the member's
 * next sign-in would write. AD: per group, one in-chain search for the groups nested in it, then
 * paged searches for the users directly in any of those (memberOf equality, 100 groups a filter)
 * and for the users whose primary group is one of them (allowed-membership.ts resolves both).
 * Generic LDAP has no in-chain rule: each account's groups are walked upwards as sign-in walks
 * them (group-walk.ts: cycles end, a chain too deep is an error). Any failure throws, a group the
 * directory does not have (or has twice) included: the caller must not act on part of an answer.
 */
export class DirectoryGroupMembersReader {
  private readonly client: DirectoryClient;

  constructor(
    private readonly config: DirectoryConfig,
    now: () => Date = () => new Date(),
  ) {
    // Its own controller pool, apart from sign-in's and the account reader's.
    this.client = new DirectoryClient(config, now);
  }

  /** The group ids of `groupIds` this directory can record at sign-in; the others have no members. */
  recordable(groupIds: readonly string[]): string[] {
    return groupIds.filter((id) => recordableGroupId(this.config.kind, id));
  }

  async read(groupIds: readonly string[], externalIds: readonly string[]): Promise<TeamGroupMembers> {
    const result: TeamGroupMembers = { members: new Map(), uncertain: new Set() };
    if (groupIds.length === 0) return result;
    const connection = await this.client.pool.connect();
    try {
      if (this.config.kind === 'ad') {
        const known = new Set(externalIds);
        for (const groupId of groupIds) {
          const guids = await this.adMembers(connection, groupId);
          result.members.set(groupId, new Set([...guids].filter((guid) => known.has(guid))));
        }
      } else {
        await this.ldapMembers(connection, groupIds, externalIds, result);
      }
    } finally {
      await connection.close();
    }
    return result;
  }

  /** The objectGUIDs of the group's users: nested under the group base, or by primary group. */
  private async adMembers(connection: LdapConnection, sid: string): Promise<Set<string>> {
    const membership = await AdAllowedMembership.resolve(
      connection,
      this.config,
      new AllowedGroups([sid]),
      TEAM_GROUP,
    );
    const guids = new Set<string>();
    const add = (entries: readonly Entry[]): void => {
      for (const entry of entries) {
        const guid = bufferOf(entry, 'objectGUID');
        if (guid) guids.add(decodeGuid(guid));
      }
    };
    for (const direct of membership.directMemberFilters()) {
      const { entries } = await connection.search(this.config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [...AD_PERSON, direct] }),
        attributes: ['objectGUID'],
        binaryAttributes: ['objectGUID'],
        paged: true,
      });
      add(entries);
    }
    for (const primary of membership.primaryGroupFilters()) {
      const { entries } = await connection.search(this.config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [...AD_PERSON, primary] }),
        attributes: ['objectGUID', ...AdAllowedMembership.USER_ATTRIBUTES],
        binaryAttributes: ['objectGUID', 'objectSid'],
        paged: true,
      });
      add(entries.filter((entry) => membership.allowsByPrimaryGroup(entry)));
    }
    return guids;
  }

  /** Checks every group exists, then walks each account's groups (one query per level per user). */
  private async ldapMembers(
    connection: LdapConnection,
    groupIds: readonly string[],
    externalIds: readonly string[],
    result: TeamGroupMembers,
  ): Promise<void> {
    for (const groupId of groupIds) {
      await this.ldapGroupExists(connection, groupId);
      result.members.set(groupId, new Set());
    }
    const follow = this.config.referrals === 'follow';
    for (let start = 0; start < externalIds.length; start += IDS_PER_SEARCH) {
      const batch = externalIds.slice(start, start + IDS_PER_SEARCH);
      const { entries, referrals } = await connection.search(this.config.baseDn, {
        scope: 'sub',
        filter: anyIdFilter('entryUUID', batch),
        attributes: ['entryUUID'],
        paged: true,
      });
      // An account behind a reference was not read: it keeps its rows.
      if (referrals.length > 0 && follow) batch.forEach((id) => result.uncertain.add(id));
      for (const entry of entries) {
        const id = textOf(entry, 'entryUUID')?.toLowerCase();
        if (!id) continue;
        const groups = await ldapGroupsOf(connection, this.config, entry.dn, () => {
          if (follow) result.uncertain.add(id);
        });
        for (const group of groups) result.members.get(group.id)?.add(id);
      }
    }
  }

  /** A team group by entryUUID (under the group base, where sign-in looks) or by DN. */
  private async ldapGroupExists(connection: LdapConnection, groupId: string): Promise<void> {
    const byUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(groupId);
    const entries = byUuid
      ? (
          await connection.search(this.config.groupBaseDn, {
            scope: 'sub',
            filter: new EqualityFilter({ attribute: 'entryUUID', value: groupId }),
            attributes: ['entryUUID'],
            sizeLimit: 2,
          })
        ).entries
      : await connection
          .search(groupId, {
            scope: 'base',
            filter: new PresenceFilter({ attribute: 'objectClass' }),
            attributes: ['entryUUID'],
          })
          .then((answer) => answer.entries)
          .catch((error: unknown) => {
            if (error instanceof NoSuchObjectError) return [];
            throw error;
          });
    if (entries.length !== 1)
      throw new DirectoryProtocolError(
        entries.length === 0
          ? `The team group ${groupId} is not in the directory (deleted, moved out of the group base, or a wrong id in a team); nothing changed`
          : `The team group ${groupId} matches ${entries.length} directory entries; nothing changed`,
      );
  }
}
