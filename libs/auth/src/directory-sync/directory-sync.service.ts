import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { CallerIdentity, systemIdentity } from '@flotilla/platform/grpc';

import { TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';

import { DirectoryProtocolError } from '../directory/directory-refusal';
import { isLdapAnswer } from '../directory/ldap-connection';

import { ClusterLease } from './cluster-lease';
import type { DirectoryAccountReader } from './directory-account-reader';
import { DirectorySyncRepository } from './directory-sync.repository';
import { SuspectMembershipAnswer, TeamGroupPlan, TeamGroupRefresh } from './team-group-refresh';
import {
  decide,
  LocalDirectoryAccount,
  looksLikeALostGroup,
  looksLikeAnEmptyAnswer,
  SyncDeactivationReason,
} from './sync-decision';

/** The outcome of the last run in the cluster, whichever node ran it. */
export interface DirectorySyncStatus {
  /** ISO times. */
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  /** Why the last attempt failed; absent when it succeeded. */
  lastFailureReason?: string;
  /** Whether the last attempt reached a directory that answered (false: unreachable, timed out). */
  directoryReachable?: boolean;
  /** What the last successful run changed. */
  usersChecked?: number;
  usersDeactivated?: number;
  usersReactivated?: number;
  /** Groups some team names that the last successful run read the members of. */
  teamGroupsChecked?: number;
  /** directory_user_groups rows of those groups it added (a member joined) and removed (one left). */
  groupMembershipsAdded?: number;
  groupMembershipsRemoved?: number;
  /**
   * Why the last run left the team groups' rows as they were though it synced the accounts (a team
   * names a group the directory lacks, a suspect answer); absent when they were refreshed.
   */
  teamGroupsFailureReason?: string;
  ranOn?: string;
}

/** partial: accounts were synced, team groups left as they were (status.teamGroupsFailureReason). */
export type DirectorySyncRun = 'skipped' | 'succeeded' | 'partial' | 'failed';

/** A directory answer the sync will not act on, though the directory did answer. */
class SuspectAnswer extends Error {}

/** Whether a failed pass still had a directory answering it (it answered errors, or something suspect). */
function answered(error: unknown): boolean {
  return (
    error instanceof SuspectAnswer ||
    error instanceof SuspectMembershipAnswer ||
    error instanceof DirectoryProtocolError ||
    isLdapAnswer(error)
  );
}

/** The audit actor of the sync's changes. */
export const DIRECTORY_SYNC_ACTOR: CallerIdentity = systemIdentity('directory-sync');

/**
 * Revokes access the directory withdrew: every directory account is read back by its id, one
 * run per cluster per interval (a lease in the database), and (with `teamGroups`) the members of
 * every group a team names are read so team grants through groups follow the directory too
 * (team-group-refresh.ts). A directory that cannot be read or answers errors changes nothing: the
 * run reads everything first, aborts before its first change, keeps the last known state, and
 * says so in the log (once per failure streak) and in the recorded status.
 */
export class DirectorySyncService {
  private readonly logger = new Logger(DirectorySyncService.name);
  private failing = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly reader: Pick<DirectoryAccountReader, 'read'>,
    private readonly repository: DirectorySyncRepository,
    private readonly accounts: AccountStateRepository,
    private readonly audit: AuditRecorder,
    private readonly revocations: TokenRevocations,
    private readonly lease: ClusterLease,
    /** This node's name in the lease. */
    private readonly holder: string,
    private readonly leaseTtlMs: number,
    /** Absent: the team groups' rows change at sign-in only. */
    private readonly teamGroups?: TeamGroupRefresh,
  ) {}

  /** One tick: runs the sync if this node takes the cluster's lease for this interval. */
  async tick(): Promise<DirectorySyncRun> {
    if (!(await this.lease.tryAcquire(this.holder, this.leaseTtlMs))) return 'skipped';
    return this.run();
  }

  /** The status every node reports (from the database). */
  async status(): Promise<DirectorySyncStatus> {
    const text = await this.lease.lastStatus();
    return text ? (JSON.parse(text) as DirectorySyncStatus) : {};
  }

  private async run(): Promise<DirectorySyncRun> {
    const previous = await this.status();
    const attemptAt = new Date().toISOString();
    let accounts: LocalDirectoryAccount[];
    let states;
    let groupPlan: TeamGroupPlan | undefined;
    try {
      accounts = await this.repository.directoryAccounts();
      states = await this.reader.read(accounts.map((account) => account.externalId));
      if (looksLikeAnEmptyAnswer(accounts, states))
        throw new SuspectAnswer(
          `The directory found none of the ${accounts.length} known accounts; nothing changed`,
        );
      if (looksLikeALostGroup(accounts, states))
        throw new SuspectAnswer(
          'None of the active accounts is in an allowed group any more (an emptied or replaced group, or a wrong FLOTILLA_DIRECTORY_ALLOWED_GROUPS?); nothing changed',
        );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.failing)
        this.logger.error(`Directory sync aborted, every account keeps its last known state: ${reason}`);
      this.failing = true;
      await this.lease.recordStatus(
        JSON.stringify({
          ...previous,
          lastAttemptAt: attemptAt,
          lastFailureAt: attemptAt,
          lastFailureReason: reason,
          directoryReachable: answered(error),
          ranOn: this.holder,
        } satisfies DirectorySyncStatus),
      );
      return 'failed';
    }
    if (this.failing) this.logger.log('Directory sync: the directory answers again');
    this.failing = false;
    // Team groups are read before any change, but apart: a team naming a deleted group (or a
    // suspect group answer) must not stop disabled accounts from being revoked.
    let groupFailure: string | undefined;
    try {
      groupPlan = await this.teamGroups?.plan(accounts, states);
    } catch (error) {
      groupFailure = error instanceof Error ? error.message : String(error);
      if (groupFailure !== previous.teamGroupsFailureReason)
        this.logger.error(`Directory sync: team groups left as they were: ${groupFailure}`);
    }
    let deactivated = 0;
    let reactivated = 0;
    for (const account of accounts) {
      const state = states.get(account.externalId);
      if (!state) continue;
      const decision = decide(account, state);
      if (decision.kind === 'deactivate' && (await this.deactivate(account, decision.reason))) deactivated++;
      if (decision.kind === 'reactivate' && (await this.reactivate(account))) reactivated++;
    }
    if (deactivated + reactivated > 0)
      this.logger.log(`Directory sync: ${deactivated} account(s) deactivated, ${reactivated} re-activated`);
    const memberships = groupPlan ? await this.teamGroups?.apply(groupPlan) : undefined;
    if (memberships && memberships.added + memberships.removed > 0)
      this.logger.log(
        `Directory sync: ${memberships.added} team group membership(s) added, ${memberships.removed} removed`,
      );
    const { lastFailureReason: _dropped, teamGroupsFailureReason: _stale, ...kept } = previous;
    await this.lease.recordStatus(
      JSON.stringify({
        ...kept,
        lastAttemptAt: attemptAt,
        lastSuccessAt: new Date().toISOString(),
        directoryReachable: true,
        usersChecked: accounts.length,
        usersDeactivated: deactivated,
        usersReactivated: reactivated,
        ...(groupPlan && memberships
          ? {
              teamGroupsChecked: groupPlan.groupsChecked,
              groupMembershipsAdded: memberships.added,
              groupMembershipsRemoved: memberships.removed,
            }
          : {}),
        ...(groupFailure ? { teamGroupsFailureReason: groupFailure } : {}),
        ranOn: this.holder,
      } satisfies DirectorySyncStatus),
    );
    return groupFailure ? 'partial' : 'succeeded';
  }

  /** Deactivated with its sessions ended (API keys stop with the account), audited, then published. */
  private async deactivate(account: LocalDirectoryAccount, reason: SyncDeactivationReason): Promise<boolean> {
    const changed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.accounts.setActive(manager, account.id, false))) return false;
      const sessionsEnded = await this.accounts.deleteSessionsOf(manager, account.id);
      await this.repository.markDeactivated(manager, account.id, reason);
      await this.audit.record(manager, {
        actor: DIRECTORY_SYNC_ACTOR,
        action: 'user.disabled-by-directory',
        resourceType: 'User',
        resourceId: account.id,
        details: { username: account.username, reason, sessionsEnded },
      });
      return true;
    });
    if (changed) await this.revocations.published({ userId: account.id, reason: `directory-${reason}` });
    return changed;
  }

  private async reactivate(account: LocalDirectoryAccount): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.accounts.setActive(manager, account.id, true))) return false;
      await this.repository.forget(manager, account.id);
      await this.audit.record(manager, {
        actor: DIRECTORY_SYNC_ACTOR,
        action: 'user.enabled-by-directory',
        resourceType: 'User',
        resourceId: account.id,
        details: { username: account.username },
      });
      return true;
    });
  }
}
