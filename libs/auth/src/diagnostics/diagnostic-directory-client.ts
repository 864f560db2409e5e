import { performance } from 'node:perf_hooks';

import { AndFilter, EqualityFilter } from 'ldapts';
import type { Entry } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import {
  AD_ACCOUNT_ATTRIBUTES,
  adAccountAttributesOf,
  AdAccountAttributes,
} from '../directory/account-state';
import { DirectoryClient } from '../directory/directory-client';
import { IN_CHAIN_RULE } from '../directory/directory-filters';
import type { DirectoryGroup } from '../directory/directory-user';
import type { DirectorySearch, DirectorySearchResult, LdapConnection } from '../directory/ldap-connection';
import type { SignInName } from '../directory/sign-in-name';

import { errorText, type DiagnosticStep, type StepName } from './diagnostic-step';

/** What the user search found for a name. */
export interface DiagnosedEntry {
  /** Every entry the user search answered (sign-in takes the name only when there is exactly one). */
  matchedDns: string[];
  entry?: Entry;
  /** AD: the entry's base read, where the constructed lockout / password-expiry state is computed. */
  accountAttributes?: AdAccountAttributes;
}

const ONLY_HERE = ' (diagnostics only; sign-in does not ask this)';

/**
 * Sign-in's own DirectoryClient, run as the search account without the user's bind: the same
 * filters, attributes, group queries and referral policy, each query timed into `steps`. Two
 * queries are the diagnostics' own (their detail says so): which groups list the user directly
 * (sign-in's in-chain query does not tell direct from nested) and the base read of the account
 * state (sign-in has AD's answer to the user's bind instead).
 */
export class DiagnosticDirectoryClient extends DirectoryClient {
  private phase: 'user' | 'groups' = 'user';
  private groupSearches = 0;
  private lastEntries: Entry[] = [];

  constructor(
    config: DirectoryConfig,
    private readonly steps: DiagnosticStep[],
    now: () => Date = () => new Date(),
  ) {
    super(config, now);
  }

  async lookUp(connection: LdapConnection, name: SignInName): Promise<DiagnosedEntry> {
    this.phase = 'user';
    const entry = await this.findUser(connection, name);
    // findUser answers undefined for two matches as for none: the search's answer tells them apart.
    const matchedDns = this.lastEntries.map((found) => found.dn);
    if (!entry) return { matchedDns };
    if (this.config.kind !== 'ad') return { matchedDns, entry };
    return { matchedDns, entry, accountAttributes: await this.accountState(connection, entry) };
  }

  /** The groups sign-in would give the user, and the DNs (lower case) of those listing the user directly. */
  async groupsOf(
    connection: LdapConnection,
    entry: Entry,
  ): Promise<{ groups: DirectoryGroup[]; directDns: Set<string> }> {
    this.phase = 'groups';
    this.groupSearches = 0;
    if (this.config.kind === 'ad') {
      const groups = await this.adGroups(connection, entry);
      const direct = await this.groupSearch(connection, directMembersFilter(entry.dn));
      return { groups, directDns: new Set(direct.map((group) => group.dn.toLowerCase())) };
    }
    const groups = await this.ldapGroups(connection, entry.dn);
    return { groups, directDns: this.firstWalkLevel };
  }

  describeEntry(entry: Entry): ReturnType<DirectoryClient['describe']> {
    return this.describe(entry);
  }

  /** Generic LDAP: the walk's first query answers the groups that list the user itself. */
  private firstWalkLevel = new Set<string>();

  protected override search(
    connection: LdapConnection,
    base: string,
    search: DirectorySearch,
  ): Promise<DirectorySearchResult> {
    const step = this.stepOf(search);
    const detail = `${search.filter.toString()} under ${base} (${search.scope})${step === 'groups-direct' ? ONLY_HERE : ''}`;
    return this.timed(step, connection, detail, async () => {
      const result = await super.search(connection, base, search);
      if (step === 'user-search') this.lastEntries = result.entries;
      if (step === 'groups-walk' && this.groupSearches === 1)
        this.firstWalkLevel = new Set(result.entries.map((group) => group.dn.toLowerCase()));
      return result;
    });
  }

  private async timed(
    step: StepName,
    connection: LdapConnection,
    detail: string,
    work: () => Promise<DirectorySearchResult>,
  ): Promise<DirectorySearchResult> {
    const started = performance.now();
    try {
      const result = await work();
      const count = result.entries.length;
      this.steps.push({
        step,
        controller: connection.url,
        durationMs: performance.now() - started,
        ok: true,
        detail: `${detail}: ${count} entr${count === 1 ? 'y' : 'ies'}`,
      });
      return result;
    } catch (error) {
      this.steps.push({
        step,
        controller: connection.url,
        durationMs: performance.now() - started,
        ok: false,
        error: errorText(error),
        detail,
      });
      throw error;
    }
  }

  private stepOf(search: DirectorySearch): StepName {
    if (this.phase === 'user') return 'user-search';
    this.groupSearches += 1;
    if (this.config.kind !== 'ad') return 'groups-walk';
    const text = search.filter.toString();
    if (text.includes('objectSid=')) return 'primary-group';
    if (text.includes(IN_CHAIN_RULE))
      return this.groupSearches === 1 ? 'groups-in-chain' : 'primary-group-parents';
    return 'groups-direct';
  }

  /** The account-state attributes on a base read: AD computes the lockout and password expiry there only. */
  private async accountState(connection: LdapConnection, entry: Entry): Promise<AdAccountAttributes> {
    const { entries } = await this.timed(
      'account-state',
      connection,
      `base read of ${entry.dn}${ONLY_HERE}`,
      () =>
        connection.search(entry.dn, {
          scope: 'base',
          filter: new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
          attributes: [...AD_ACCOUNT_ATTRIBUTES],
          sizeLimit: 1,
        }),
    );
    const [self] = entries;
    return adAccountAttributesOf(self ?? entry);
  }
}

/** AD groups whose member attribute holds this DN (one level, no chain). */
function directMembersFilter(userDn: string) {
  return new AndFilter({
    filters: [
      new EqualityFilter({ attribute: 'objectClass', value: 'group' }),
      new EqualityFilter({ attribute: 'member', value: userDn }),
    ],
  });
}
