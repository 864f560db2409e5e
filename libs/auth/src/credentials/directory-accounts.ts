import { randomUUID } from 'node:crypto';

import { DataSource, EntityManager } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { RequestOrigin, userActor } from '../audit-actors';
import { DirectoryProtocolError } from '../directory/directory-refusal';
import type { DirectoryUser } from '../directory/directory-user';
import type { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { DirectoryUserGroupsRepository } from '../teams/directory-user-groups.repository';
import { DISPLAY_NAME_MAX_LENGTH, normalizeUsername, USERNAME_MAX_LENGTH } from '../users/user-rules';

/**
 * The Flotilla username of a directory account: `DOMAIN\account` (the down-level logon name).
 * A local username cannot hold a backslash (user-rules.ts), so directory and local accounts never
 * take each other's names. Generic LDAP without FLOTILLA_DIRECTORY_NETBIOS_DOMAIN: the uid alone.
 */
export function directoryUsername(
  config: Pick<DirectoryConfig, 'netbiosDomain'>,
  user: DirectoryUser,
): string {
  return config.netbiosDomain ? `${config.netbiosDomain}\\${user.accountName}` : user.accountName;
}

/**
 * Creates or refreshes the Flotilla account of a directory user at sign-in, found by the
 * directory id (objectGUID / entryUUID), never by name: a rename in the directory renames the
 * account, and its id, sessions and roles stay. Records the user's directory groups (direct,
 * nested, primary) with it: teams with a group as member grant through them (teams/), and a
 * directory user's own account roles are the administrator's to set, as for any account.
 *
 * The account's creation (`user.created`) and each rename (`user.renamed-by-directory`, also of an
 * older account yielding its name) are audited in the transaction that makes them, with the user
 * signing in as the actor: their sign-in is what changed the account table.
 */
export class DirectoryAccounts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly config: Pick<DirectoryConfig, 'netbiosDomain'>,
    private readonly audit: AuditRecorder,
    private readonly groups: DirectoryUserGroupsRepository = new DirectoryUserGroupsRepository(),
  ) {}

  async upsert(user: DirectoryUser, origin: RequestOrigin = { clientIp: '' }): Promise<UserEntity> {
    const username = directoryUsername(this.config, user);
    if (username.length > USERNAME_MAX_LENGTH) {
      throw new DirectoryProtocolError(
        `The directory name ${username} is longer than ${USERNAME_MAX_LENGTH} characters`,
      );
    }
    const profile = { username, displayName: user.displayName.slice(0, DISPLAY_NAME_MAX_LENGTH) || username };
    const groupIds = user.groups.map((group) => group.id);
    try {
      return await this.dataSource.transaction((manager) =>
        this.upsertIn(manager, user.externalId, profile, groupIds, origin),
      );
    } catch (error) {
      // Two first sign-ins of one person on two nodes: one inserted, the other now finds that row.
      if (!isUniqueViolation(error)) throw error;
      return this.dataSource.transaction((manager) =>
        this.upsertIn(manager, user.externalId, profile, groupIds, origin),
      );
    }
  }

  private async upsertIn(
    manager: EntityManager,
    externalId: string,
    profile: { username: string; displayName: string },
    groupIds: readonly string[],
    origin: RequestOrigin,
  ): Promise<UserEntity> {
    const existing = await this.users.findByExternalId(manager, externalId);
    const changed =
      !existing || existing.username !== profile.username || existing.displayName !== profile.displayName;
    const id = existing?.id ?? randomUUID();
    const actor = userActor({ id, username: profile.username }, origin);
    if (changed) await this.freeUsername(manager, profile.username, externalId, actor);
    if (!existing) {
      await this.users.insert(manager, {
        id,
        username: profile.username,
        displayName: profile.displayName,
        passwordHash: null,
        roles: [],
        source: 'directory',
        externalId,
      });
      await this.audit.record(manager, {
        actor,
        action: 'user.created',
        resourceType: 'User',
        resourceId: id,
        details: { ...profile, source: 'directory', externalId },
      });
    } else if (changed) {
      await this.users.updateDirectoryProfile(manager, id, profile);
      await this.recordRename(manager, actor, existing, profile);
    }
    await this.groups.replace(manager, id, groupIds);
    const saved = await this.users.findById(manager, id);
    if (!saved) throw new Error(`The account ${id} vanished while it was saved`);
    return saved;
  }

  /**
   * A name in the directory can pass from one person to another (alice left, a new alice came).
   * The old holder's account keeps its id and roles but yields the name, marked with its directory
   * id, until its own next sign-in gives it its current name. A local account never yields.
   */
  private async freeUsername(
    manager: EntityManager,
    username: string,
    externalId: string,
    actor: CallerIdentity,
  ): Promise<void> {
    const holder = await this.users.findByUsername(manager, username);
    if (!holder || holder.externalId === externalId) return;
    if (holder.source !== 'directory' || !holder.externalId) {
      throw new DirectoryProtocolError(`The local account ${holder.username} has the name ${username}`);
    }
    const parked = `${holder.username.slice(0, USERNAME_MAX_LENGTH - holder.externalId.length - 1)}~${holder.externalId}`;
    if (normalizeUsername(parked) === normalizeUsername(username)) return;
    const yielded = { username: parked, displayName: holder.displayName };
    await this.users.updateDirectoryProfile(manager, holder.id, yielded);
    await this.recordRename(manager, actor, holder, yielded, 'its name passed to another directory account');
  }

  private recordRename(
    manager: EntityManager,
    actor: CallerIdentity,
    before: UserEntity,
    after: { username: string; displayName: string },
    reason?: string,
  ): Promise<void> {
    return this.audit.record(manager, {
      actor,
      action: 'user.renamed-by-directory',
      resourceType: 'User',
      resourceId: before.id,
      details: {
        from: { username: before.username, displayName: before.displayName },
        to: after,
        ...(reason ? { reason } : {}),
      },
    });
  }
}
