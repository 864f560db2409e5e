import { EqualityFilter } from 'ldapts';
import type { Entry, Filter } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import { AllowedGroups } from '../credentials/allowed-groups';
import { AD_ACCOUNT_ATTRIBUTES, adAccountAttributesOf, adAccountRefusal } from '../directory/account-state';
import { decodeGuid } from '../directory/directory-ids';
import { DirectoryClient } from '../directory/directory-client';
import type { DirectoryRefusalKind } from '../directory/directory-refusal';
import type { LdapConnection } from '../directory/ldap-connection';
import { bufferOf, textOf } from '../directory/entry-values';

import { AdAllowedMembership, ldapUserIsAllowed } from './allowed-membership';
import { anyIdFilter } from './object-guid-filter';
import type { DirectoryAccountState } from './sync-decision';

/** Ids per OR filter: one paged search per batch, never one request per user. */
export const IDS_PER_SEARCH = 100;

/**
 * Reads the state of many directory accounts by their immutable id (AD objectGUID, LDAP entryUUID)
 * under the configured base DN, as sign-in would find them. Any failure (no controller answers,
 * an error answer) throws: the caller must not act on part of an answer. An id missing from the
 * map: the directory's answer cannot tell (referrals it was configured to follow), judge nothing.
 * With FLOTILLA_DIRECTORY_ALLOWED_GROUPS set, each found account also says whether it is still in
 * one of them (allowed-membership.ts), judged as sign-in judges it.
 */
export class DirectoryAccountReader {
  private readonly client: DirectoryClient;

  constructor(
    private readonly config: DirectoryConfig,
    private readonly now: () => Date = () => new Date(),
    private readonly allowed: AllowedGroups = AllowedGroups.of(config),
  ) {
    // Its own controller pool (and cool-downs), apart from sign-in's.
    this.client = new DirectoryClient(config, now);
  }

  async read(externalIds: readonly string[]): Promise<Map<string, DirectoryAccountState>> {
    const states = new Map<string, DirectoryAccountState>();
    if (externalIds.length === 0) return states;
    const ad = this.config.kind === 'ad';
    const idAttribute = ad ? 'objectGUID' : 'entryUUID';
    let absenceUncertain = false;
    const connection = await this.client.pool.connect();
    try {
      const membership =
        ad && this.allowed.restricted
          ? await AdAllowedMembership.resolve(connection, this.config, this.allowed)
          : undefined;
      for (let start = 0; start < externalIds.length; start += IDS_PER_SEARCH) {
        const batch = externalIds.slice(start, start + IDS_PER_SEARCH);
        const usersFilter = anyIdFilter(idAttribute, batch);
        const result = await connection.search(this.config.baseDn, {
          scope: 'sub',
          filter: usersFilter,
          attributes: ad
            ? ['objectGUID', ...AD_ACCOUNT_ATTRIBUTES, ...AdAllowedMembership.USER_ATTRIBUTES]
            : ['entryUUID'],
          ...(ad ? { binaryAttributes: ['objectGUID', 'objectSid'] } : {}),
          paged: true,
        });
        const members = membership
          ? await this.allowedIds(membership, connection, usersFilter, result.entries)
          : undefined;
        // AD answers a subtree search from the domain root with references to its other partitions;
        // with referrals followed, an account may live behind one: its absence here proves nothing.
        if (result.referrals.length > 0 && this.config.referrals === 'follow') absenceUncertain = true;
        for (const entry of result.entries) {
          const guid = ad ? bufferOf(entry, 'objectGUID') : undefined;
          const id = ad ? (guid ? decodeGuid(guid) : undefined) : textOf(entry, 'entryUUID')?.toLowerCase();
          if (!id) continue;
          const refusal = ad ? await this.adRefusal(connection, entry) : undefined;
          const inAllowedGroups = !this.allowed.restricted
            ? undefined
            : members
              ? members.has(id)
              : await ldapUserIsAllowed(connection, this.config, this.allowed, entry.dn);
          states.set(id, {
            found: true,
            ...(refusal ? { refusal } : {}),
            ...(inAllowedGroups === undefined ? {} : { inAllowedGroups }),
          });
        }
      }
    } finally {
      await connection.close();
    }
    if (absenceUncertain) return states;
    for (const id of externalIds) if (!states.has(id)) states.set(id, { found: false });
    return states;
  }

  /** The ids of this batch's AD users in an allowed group: nested (one search) or by primary group. */
  private async allowedIds(
    membership: AdAllowedMembership,
    connection: LdapConnection,
    usersFilter: Filter,
    users: readonly Entry[],
  ): Promise<Set<string>> {
    const ids = new Set<string>();
    const add = (entry: Entry): void => {
      const guid = bufferOf(entry, 'objectGUID');
      if (guid) ids.add(decodeGuid(guid));
    };
    for (const user of users) if (membership.allowsByPrimaryGroup(user)) add(user);
    for (const member of await membership.membersAmong(connection, this.config.baseDn, usersFilter))
      add(member);
    return ids;
  }

  /**
   * AD computes msDS-User-Account-Control-Computed for base-scope reads only; without it a
   * non-zero lockoutTime reads as locked, yet AD leaves lockoutTime set after the lockout ends
   * (until the next sign-in, which a deactivated account never gets). So a "locked" verdict from
   * a subtree answer is checked again on the entry itself before anyone is deactivated for it.
   */
  private async adRefusal(
    connection: LdapConnection,
    entry: Entry,
  ): Promise<DirectoryRefusalKind | undefined> {
    const refusal = adAccountRefusal(adAccountAttributesOf(entry), this.now());
    if (
      refusal !== 'locked' ||
      adAccountAttributesOf(entry)['msDS-User-Account-Control-Computed'] !== undefined
    )
      return refusal;
    const { entries } = await connection.search(entry.dn, {
      scope: 'base',
      filter: new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
      attributes: [...AD_ACCOUNT_ATTRIBUTES],
      sizeLimit: 1,
    });
    const [self] = entries;
    const attributes = self ? adAccountAttributesOf(self) : undefined;
    // Still no computed answer: the conservative reading is not to lock anyone out on lockoutTime alone.
    if (!attributes || attributes['msDS-User-Account-Control-Computed'] === undefined) return undefined;
    return adAccountRefusal(attributes, this.now());
  }
}
