import { Logger } from '@nestjs/common';
import { AdminLimitExceededError, InvalidCredentialsError, SizeLimitExceededError } from 'ldapts';
import type { Entry } from 'ldapts';

import type { DirectoryConfig } from '@flotilla/platform/config';

import {
  AD_ACCOUNT_ATTRIBUTES,
  adAccountAttributesOf,
  adAccountRefusal,
  adBindRefusal,
} from './account-state';
import {
  adNestedGroupsFilter,
  adUserFilter,
  ldapGroupsWithMembersFilter,
  ldapUserFilter,
  objectSidFilter,
} from './directory-filters';
import { decodeGuid, decodeSid, sidInDomain } from './directory-ids';
import {
  DirectoryProtocolError,
  DirectorySignInRefused,
  DirectoryUnavailableError,
} from './directory-refusal';
import type { DirectoryGroup, DirectoryUser } from './directory-user';
import { DomainControllerPool } from './domain-controller-pool';
import { bufferOf, textOf } from './entry-values';
import { walkGroups } from './group-walk';
import { DirectorySearch, isLdapAnswer, LdapConnection } from './ldap-connection';
import { parseSignInName, SignInName } from './sign-in-name';

/** How deep the generic-LDAP group walk goes before it gives up (an error, not a silent cut). */
export const MAX_GROUP_DEPTH = 32;

const AD_USER_ATTRIBUTES = [
  'objectGUID',
  'objectSid',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'cn',
  'primaryGroupID',
  ...AD_ACCOUNT_ATTRIBUTES,
];
const LDAP_USER_ATTRIBUTES = ['entryUUID', 'uid', 'mail', 'displayName', 'cn'];

/**
 * Sign-in against Active Directory or a generic LDAP server: find the entry with the search
 * account, bind as it with the password, refuse states the person can act on, read the groups.
 *
 * Answers: a DirectoryUser; undefined for a wrong name or password (one generic message);
 * DirectorySignInRefused for a disabled / locked / expired / must-change account;
 * DirectoryUnavailableError when no controller answered (never a verdict on the credentials).
 *
 * The look-up steps are protected, not private: the administrators' diagnostics
 * (libs/auth/src/diagnostics) run them as they are, timing each query.
 */
export class DirectoryClient {
  private readonly logger = new Logger(DirectoryClient.name);
  readonly pool: DomainControllerPool<LdapConnection>;

  constructor(
    protected readonly config: DirectoryConfig,
    protected readonly now: () => Date = () => new Date(),
  ) {
    this.pool = new DomainControllerPool({
      urls: config.urls,
      cooldownMs: config.cooldownMs,
      open: (url) => LdapConnection.open(url, config, config.bindDn, config.bindPassword),
      isAnswer: isLdapAnswer,
      onUnreachable: (url, reason, coolingForMs) =>
        this.logger.warn(
          `Domain controller ${url} could not be used (${reason}); skipped for ${coolingForMs} ms`,
        ),
    });
  }

  async authenticate(typedName: string, password: string): Promise<DirectoryUser | undefined> {
    const name = parseSignInName(typedName, {
      ...(this.config.netbiosDomain ? { netbiosDomain: this.config.netbiosDomain } : {}),
      upnSuffixes: this.config.upnSuffixes,
    });
    // No name can be anyone, and an empty password would be an anonymous bind: nothing to ask.
    if (!name || !password) return undefined;
    const connection = await this.connect();
    try {
      return await this.authenticateOn(connection, name, password);
    } catch (error) {
      if (
        error instanceof DirectorySignInRefused ||
        error instanceof DirectoryProtocolError ||
        isLdapAnswer(error)
      )
        throw error;
      // The controller stopped answering part-way: skip it, and say the directory is unavailable.
      const reason = error instanceof Error ? error.message : String(error);
      this.pool.markUnreachable(connection.url, reason);
      throw new DirectoryUnavailableError(
        `Domain controller ${connection.url} stopped answering: ${reason}`,
        [{ url: connection.url, error: reason }],
      );
    } finally {
      await connection.close();
    }
  }

  private async connect(): Promise<LdapConnection> {
    try {
      return await this.pool.connect();
    } catch (error) {
      if (isLdapAnswer(error)) {
        // The search account itself was refused: a configuration problem, the same on every controller.
        throw new DirectoryUnavailableError(
          `The directory refused the search account ${this.config.bindDn}: ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }

  private async authenticateOn(
    connection: LdapConnection,
    name: SignInName,
    password: string,
  ): Promise<DirectoryUser | undefined> {
    const ad = this.config.kind === 'ad';
    const entry = await this.findUser(connection, name);
    if (!entry) return undefined;
    if (!(await this.passwordMatches(connection, entry.dn, password))) return undefined;
    // Back to the search account: the user may not read groups or the domain.
    await connection.bind(this.config.bindDn, this.config.bindPassword);
    if (ad) {
      const refusal = adAccountRefusal(adAccountAttributesOf(entry), this.now());
      if (refusal) throw new DirectorySignInRefused(refusal);
    }
    const groups = ad ? await this.adGroups(connection, entry) : await this.ldapGroups(connection, entry.dn);
    return { ...this.describe(entry), groups, answeredBy: connection.url };
  }

  protected async findUser(connection: LdapConnection, name: SignInName): Promise<Entry | undefined> {
    const ad = this.config.kind === 'ad';
    const { entries } = await this.search(connection, this.config.baseDn, {
      scope: 'sub',
      filter: ad ? adUserFilter(name) : ldapUserFilter(name),
      attributes: ad ? AD_USER_ATTRIBUTES : LDAP_USER_ATTRIBUTES,
      binaryAttributes: ad ? ['objectGUID', 'objectSid'] : [],
      sizeLimit: 2,
    });
    if (entries.length > 1) {
      // Two entries answer to one name: guessing would sign in as the wrong person.
      this.logger.error(
        `Sign-in name matches ${entries.length} directory entries: ${entries.map((e) => e.dn).join('; ')}`,
      );
      return undefined;
    }
    return entries[0];
  }

  /** Binds as the user. AD's reason for refusing a right password is a DirectorySignInRefused. */
  private async passwordMatches(connection: LdapConnection, dn: string, password: string): Promise<boolean> {
    try {
      await connection.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        const refusal = this.config.kind === 'ad' ? adBindRefusal(error.message) : undefined;
        if (refusal) throw new DirectorySignInRefused(refusal);
        return false;
      }
      if (isLdapAnswer(error)) {
        // e.g. unwillingToPerform: the directory said no, and no more than that.
        this.logger.warn(`The directory refused the bind of ${dn}: ${(error as Error).message}`);
        return false;
      }
      throw error;
    }
  }

  protected describe(entry: Entry): Omit<DirectoryUser, 'groups' | 'answeredBy'> {
    const ad = this.config.kind === 'ad';
    const guid = bufferOf(entry, 'objectGUID');
    const externalId = ad ? (guid ? decodeGuid(guid) : undefined) : textOf(entry, 'entryUUID')?.toLowerCase();
    if (!externalId) {
      throw new DirectoryProtocolError(
        `${entry.dn} has no ${ad ? 'objectGUID' : 'entryUUID'}; cannot key the user on it`,
      );
    }
    const accountName = textOf(entry, ad ? 'sAMAccountName' : 'uid') ?? textOf(entry, 'cn') ?? entry.dn;
    const principalName = textOf(entry, ad ? 'userPrincipalName' : 'mail');
    return {
      externalId,
      dn: entry.dn,
      accountName,
      ...(principalName ? { principalName } : {}),
      displayName: textOf(entry, 'displayName') ?? textOf(entry, 'cn') ?? accountName,
    };
  }

  /**
   * Direct and nested groups in one query (the DC follows the chain), scoped to the group base;
   * then the primary group (not a `member` link, so the chain rule never sees it) and its parents.
   */
  protected async adGroups(connection: LdapConnection, user: Entry): Promise<DirectoryGroup[]> {
    const groups = new Map<string, DirectoryGroup>();
    const add = (entries: Entry[]): void => {
      for (const entry of entries) {
        const group = this.adGroup(entry);
        groups.set(group.id, group);
      }
    };
    add(await this.groupSearch(connection, adNestedGroupsFilter(user.dn)));
    const userSid = bufferOf(user, 'objectSid');
    const primaryRid = Number(textOf(user, 'primaryGroupID'));
    if (userSid && Number.isInteger(primaryRid) && primaryRid > 0) {
      const domainSid = decodeSid(userSid).replace(/-\d+$/, '');
      const primary = await this.groupSearch(
        connection,
        objectSidFilter(sidInDomain(domainSid, primaryRid)),
        this.config.baseDn,
      );
      add(primary);
      for (const group of primary) add(await this.groupSearch(connection, adNestedGroupsFilter(group.dn)));
    }
    return [...groups.values()];
  }

  /**
   * A paged group search. A server that cuts it short (a limit on paged results, e.g. OpenLDAP's
   * size.prtotal or AD's MaxResultSetSize / an administrative limit) answers sizeLimitExceeded /
   * adminLimitExceeded: the groups are then unknown, which is the directory's protocol problem to
   * report (FAILED_PRECONDITION at sign-in), never a raw LDAP error and never a short list.
   */
  protected async groupSearch(
    connection: LdapConnection,
    filter: DirectorySearch['filter'],
    base = this.config.groupBaseDn,
  ): Promise<Entry[]> {
    try {
      const result = await this.search(connection, base, {
        scope: 'sub',
        filter,
        attributes: ['objectSid', 'sAMAccountName', 'cn', 'entryUUID'],
        binaryAttributes: this.config.kind === 'ad' ? ['objectSid'] : [],
        paged: true,
      });
      return result.entries;
    } catch (error) {
      if (error instanceof SizeLimitExceededError || error instanceof AdminLimitExceededError) {
        throw new DirectoryProtocolError(
          `The directory cut a group search under ${base} short (${error.message || error.name}); ` +
            `the user's groups are not all known: raise the search account's limit for paged searches`,
        );
      }
      throw error;
    }
  }

  private adGroup(entry: Entry): DirectoryGroup {
    const sid = bufferOf(entry, 'objectSid');
    if (!sid) throw new DirectoryProtocolError(`Group ${entry.dn} has no objectSid`);
    return {
      id: decodeSid(sid),
      dn: entry.dn,
      name: textOf(entry, 'sAMAccountName') ?? textOf(entry, 'cn') ?? entry.dn,
    };
  }

  /** Generic LDAP: the client walks the nesting (group-walk.ts), groups keyed on entryUUID, else DN. */
  protected ldapGroups(connection: LdapConnection, userDn: string): Promise<DirectoryGroup[]> {
    return walkGroups(userDn, MAX_GROUP_DEPTH, async (memberDns) =>
      (await this.groupSearch(connection, ldapGroupsWithMembersFilter(memberDns))).map((entry) => {
        const id = textOf(entry, 'entryUUID')?.toLowerCase() ?? entry.dn;
        return { dn: entry.dn, group: { id, dn: entry.dn, name: textOf(entry, 'cn') ?? entry.dn } };
      }),
    );
  }

  /** A search under the referral policy: references are followed or dropped, and said so. */
  protected async search(connection: LdapConnection, base: string, search: DirectorySearch) {
    const result = await connection.search(base, search);
    if (result.referrals.length === 0) return result;
    if (this.config.referrals === 'ignore') {
      this.logger.debug?.(
        `Ignored ${result.referrals.length} referral(s) from ${connection.url}: ${result.referrals.join(', ')}`,
      );
      return { entries: result.entries, referrals: [] };
    }
    const entries = [...result.entries];
    for (const referral of result.referrals) entries.push(...(await this.followReferral(referral, search)));
    return { entries, referrals: [] };
  }

  /**
   * One hop: the referred server is searched with the same search account and TLS settings at the
   * base the reference names; references it returns in turn are not followed (no loops).
   */
  private async followReferral(referral: string, search: DirectorySearch): Promise<Entry[]> {
    const parsed = new URL(referral);
    const base = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    const url = `${parsed.protocol}//${parsed.host}`;
    if (!base || !['ldap:', 'ldaps:'].includes(parsed.protocol)) {
      throw new DirectoryProtocolError(`Cannot follow the referral ${referral}`);
    }
    try {
      const connection = await LdapConnection.open(
        url,
        this.config,
        this.config.bindDn,
        this.config.bindPassword,
      );
      try {
        return (await connection.search(base, search)).entries;
      } finally {
        await connection.close();
      }
    } catch (error) {
      // Not the answering controller's fault: the sign-in fails, that controller is not cooled down.
      throw new DirectoryProtocolError(
        `The referral ${referral} could not be followed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
