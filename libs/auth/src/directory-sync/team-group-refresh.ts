import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import { DirectoryUserGroupsRepository } from '../teams/directory-user-groups.repository';
import type { TokenRevocations } from '../users/account-revocations';

import type { DirectoryGroupMembersReader } from './directory-group-members';
import type { DirectorySyncRepository } from './directory-sync.repository';
import { emptiedGroup, MembershipChange, membershipChanges } from './group-membership-decision';
import type { DirectoryAccountState, LocalDirectoryAccount } from './sync-decision';

/** What a pass will change in the team groups' rows, read before the pass changes anything. */
export interface TeamGroupPlan {
  groupsChecked: number;
  changes: MembershipChange[];
}

/** A membership answer the sync will not act on (the pass aborts; see SuspectAnswer). */
export class SuspectMembershipAnswer extends Error {}

/**
 * Keeps directory_user_groups current for the groups teams name (their rows are what ValidateToken
 * grants by), between sign-ins: a user taken out of a team's group loses the team's roles on their
 * sessions and API keys at the next pass, one put in gains them. Rows of groups no team names are
 * left as sign-in wrote them.
 */
export class TeamGroupRefresh {
  private readonly rows = new DirectoryUserGroupsRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly reader: Pick<DirectoryGroupMembersReader, 'read' | 'recordable'>,
    private readonly repository: Pick<DirectorySyncRepository, 'teamGroupIds'>,
    private readonly audit: AuditRecorder,
    private readonly revocations: TokenRevocations,
    private readonly actor: CallerIdentity,
  ) {}

  /**
   * Reads the directory and the table; throws when the directory fails, a team group is not in it,
   * or the answer would empty a group (emptiedGroup). An account whose own read was uncertain
   * (no state: its answer lay behind a referral) keeps its rows.
   */
  async plan(
    accounts: readonly LocalDirectoryAccount[],
    states: ReadonlyMap<string, DirectoryAccountState>,
  ): Promise<TeamGroupPlan> {
    const groupIds = this.reader.recordable(await this.repository.teamGroupIds());
    if (groupIds.length === 0 || accounts.length === 0)
      return { groupsChecked: groupIds.length, changes: [] };
    const answer = await this.reader.read(
      groupIds,
      accounts.map((account) => account.externalId),
    );
    const uncertain = new Set(answer.uncertain);
    for (const account of accounts) if (!states.has(account.externalId)) uncertain.add(account.externalId);
    const accountIds = new Set(accounts.map((account) => account.id));
    const rows = (await this.rows.rowsOfGroups(this.dataSource.manager, groupIds)).filter((row) =>
      accountIds.has(row.userId),
    );
    const changes = membershipChanges(accounts, rows, answer.members, uncertain);
    const emptied = emptiedGroup(rows, changes);
    if (emptied)
      throw new SuspectMembershipAnswer(
        `The directory has none of the ${emptied.had} members of the team group ${emptied.groupId} any more (a replaced group or a wrong group base?); nothing changed. To empty it on purpose, take the group out of its teams`,
      );
    return { groupsChecked: groupIds.length, changes };
  }

  /**
   * Writes the plan, one transaction per group with an audit record per change; then tells every
   * node to drop what it cached of the users who lost a group (ValidateToken reads grants afresh,
   * the gateways keep a principal up to a second). When a group's transaction fails (the database
   * went away mid-pass) the groups committed before it are still announced before the error goes
   * on: their rows are gone for good, and the next pass, planning from the table, finds nothing
   * left to do for them and would never announce them.
   */
  async apply(plan: TeamGroupPlan): Promise<{ added: number; removed: number }> {
    const losers = new Set<string>();
    try {
      return await this.applyGroups(plan, losers);
    } finally {
      for (const userId of losers)
        await this.revocations.published({ userId, reason: 'directory-team-group-left' });
    }
  }

  /** One transaction per group; `losers` gets the users who lost a group, as each one commits. */
  private async applyGroups(
    plan: TeamGroupPlan,
    losers: Set<string>,
  ): Promise<{ added: number; removed: number }> {
    let added = 0;
    let removed = 0;
    for (const groupId of new Set(plan.changes.map((change) => change.groupId))) {
      const done = await this.dataSource.transaction(async (manager) => {
        const applied: MembershipChange[] = [];
        for (const change of plan.changes.filter((item) => item.groupId === groupId)) {
          const changed =
            change.change === 'added'
              ? await this.rows.add(manager, change.userId, groupId)
              : await this.rows.remove(manager, change.userId, groupId);
          if (!changed) continue;
          applied.push(change);
          await this.audit.record(manager, {
            actor: this.actor,
            action:
              change.change === 'added'
                ? 'user.team-group-joined-in-directory'
                : 'user.team-group-left-in-directory',
            resourceType: 'User',
            resourceId: change.userId,
            details: { username: change.username, groupId, change: change.change },
          });
        }
        return applied;
      });
      for (const change of done) {
        if (change.change === 'added') added++;
        else {
          removed++;
          losers.add(change.userId);
        }
      }
    }
    return { added, removed };
  }
}
