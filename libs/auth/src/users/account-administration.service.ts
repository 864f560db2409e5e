import { DataSource, EntityManager } from 'typeorm';

import { Permission, Role } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { UserEntity } from '../persistence/user.entity';
import { UsersRepository } from '../persistence/users.repository';
import { requirePermission } from '../principal/principal';

import { TokenRevocations } from './account-revocations';
import { AccountStateRepository } from './account-state.repository';
import { AuthUser, parseRoles, toAuthUser } from './auth-user';
import { passwordProblem } from './user-rules';

export const CANNOT_DISABLE_SELF = 'You cannot disable your own account';
export const CANNOT_DISABLE_LAST_ADMINISTRATOR =
  'This is the last enabled Administrator: enable or create another one first';

/**
 * What an administrator (UserEdit) does to other accounts: disable, re-enable, end their sessions,
 * reset a local password. Each change commits with its audit event, then is published to the
 * gateways so their token caches drop the user's credentials (see account-revocations.ts).
 */
export class AccountAdministrationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly accounts: AccountStateRepository,
    private readonly hasher: ScryptPasswordHasher,
    private readonly audit: AuditRecorder,
    private readonly revocations: TokenRevocations,
  ) {}

  /**
   * The user can no longer sign in; their sessions end (they do not come back on re-enable) and
   * their API keys stop working until they are enabled again (auth checks the account on every
   * token). Refused for oneself and for the last enabled Administrator (FAILED_PRECONDITION).
   */
  async disable(caller: CallerIdentity, userId: string): Promise<AuthUser> {
    requirePermission(caller, Permission.UserEdit);
    if (userId === caller.userId) throw RpcErrors.failedPrecondition(CANNOT_DISABLE_SELF);
    const user = await this.dataSource.transaction(async (manager) => {
      await this.accounts.lockAdministrators(manager);
      const target = await this.existing(manager, userId);
      const isAdministrator = parseRoles(target.roles).includes(Role.Administrator);
      if (
        target.isActive &&
        isAdministrator &&
        (await this.accounts.countOtherEnabledAdministrators(manager, target.id)) === 0
      )
        throw RpcErrors.failedPrecondition(CANNOT_DISABLE_LAST_ADMINISTRATOR);
      const changed = await this.accounts.setActive(manager, target.id, false);
      const sessionsEnded = await this.accounts.deleteSessionsOf(manager, target.id);
      if (changed)
        await this.record(manager, caller, 'user.disabled', target, {
          username: target.username,
          sessionsEnded,
        });
      return this.existing(manager, target.id);
    });
    await this.revocations.published({ userId: user.id, reason: 'user-disabled' });
    return toAuthUser(user);
  }

  /** The user may sign in again, and their API keys work again. */
  async enable(caller: CallerIdentity, userId: string): Promise<AuthUser> {
    requirePermission(caller, Permission.UserEdit);
    const user = await this.dataSource.transaction(async (manager) => {
      const target = await this.existing(manager, userId);
      if (await this.accounts.setActive(manager, target.id, true))
        await this.record(manager, caller, 'user.enabled', target, { username: target.username });
      return this.existing(manager, target.id);
    });
    return toAuthUser(user);
  }

  /** Ends every session of the user (an administrator may end their own); API keys stay. */
  async revokeSessions(caller: CallerIdentity, userId: string): Promise<number> {
    requirePermission(caller, Permission.UserEdit);
    const count = await this.dataSource.transaction(async (manager) => {
      const target = await this.existing(manager, userId);
      const sessionsEnded = await this.accounts.deleteSessionsOf(manager, target.id);
      await this.record(manager, caller, 'user.sessions-revoked', target, {
        username: target.username,
        sessionsEnded,
      });
      return sessionsEnded;
    });
    await this.revocations.published({ userId, reason: 'sessions-revoked' });
    return count;
  }

  /**
   * Sets a new password on a local account (told to the user out of band) that must be replaced at
   * the next sign-in, like the bootstrap administrator's generated one; ends the user's sessions.
   * The password is never audited.
   */
  async resetPassword(caller: CallerIdentity, userId: string, newPassword: string): Promise<AuthUser> {
    requirePermission(caller, Permission.UserEdit);
    const problem = passwordProblem(newPassword);
    if (problem) throw RpcErrors.invalidArgument(problem);
    const found = await this.existing(this.dataSource.manager, userId);
    // Only local accounts have a password here (directory accounts are checked by the directory).
    const source: string = found.source;
    if (source !== 'local')
      throw RpcErrors.failedPrecondition(
        `${found.username} signs in with a ${source} account: its password is changed there`,
      );
    const passwordHash = await this.hasher.hash(newPassword);
    const user = await this.dataSource.transaction(async (manager) => {
      await this.accounts.resetPassword(manager, found.id, passwordHash);
      const sessionsEnded = await this.accounts.deleteSessionsOf(manager, found.id);
      await this.record(manager, caller, 'user.password-reset', found, {
        username: found.username,
        sessionsEnded,
      });
      return this.existing(manager, found.id);
    });
    await this.revocations.published({ userId: user.id, reason: 'password-reset' });
    return toAuthUser(user);
  }

  private async existing(manager: EntityManager, userId: string): Promise<UserEntity> {
    const user = userId ? await this.users.findById(manager, userId) : null;
    if (!user) throw RpcErrors.notFound(`User ${userId} not found`);
    return user;
  }

  private record(
    manager: EntityManager,
    actor: CallerIdentity,
    action: string,
    target: UserEntity,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(manager, {
      actor,
      action,
      resourceType: 'User',
      resourceId: target.id,
      details,
    });
  }
}
