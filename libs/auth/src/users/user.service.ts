import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import { requirePermission } from '../principal/principal';

import { AuthUser, toAuthUser } from './auth-user';
import { validateNewAccount } from './user-rules';

export interface CreateUserInput {
  username: string;
  displayName: string;
  password: string;
  roles: readonly string[];
  /** The account must change its password before it can sign in (the bootstrap's generated one). */
  mustChangePassword?: boolean;
}

/** Local accounts: creation (by a user holding UserEdit, or the bootstrap) and listing. */
export class UserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly hasher: ScryptPasswordHasher,
    private readonly audit: AuditRecorder,
  ) {}

  async create(caller: CallerIdentity, input: CreateUserInput): Promise<AuthUser> {
    requirePermission(caller, Permission.UserEdit);
    return this.createAccount(caller, input);
  }

  /**
   * Creates a local account and its `user.created` audit event in one transaction. A duplicate
   * (any case) is ALREADY_EXISTS and leaves nothing behind. No permission check: callers decide.
   */
  async createAccount(actor: CallerIdentity, input: CreateUserInput): Promise<AuthUser> {
    const account = validateNewAccount(input);
    if (await this.users.findByUsername(this.dataSource.manager, account.username)) {
      throw alreadyExists(account.username);
    }
    const passwordHash = await this.hasher.hash(account.password);
    try {
      const created = await this.dataSource.transaction(async (manager) => {
        const row = await this.users.insert(manager, {
          id: randomUUID(),
          username: account.username,
          displayName: account.displayName,
          passwordHash,
          roles: account.roles,
          source: 'local',
          mustChangePassword: input.mustChangePassword ?? false,
        });
        await this.audit.record(manager, {
          actor,
          action: 'user.created',
          resourceType: 'User',
          resourceId: row.id,
          details: {
            username: row.username,
            displayName: row.displayName,
            roles: account.roles,
            ...(row.mustChangePassword ? { mustChangePassword: true } : {}),
          },
        });
        return row;
      });
      return toAuthUser(created);
    } catch (error) {
      // Another request created the same username between our check and our insert.
      if (isUniqueViolation(error)) throw alreadyExists(account.username);
      throw error;
    }
  }

  async list(caller: CallerIdentity): Promise<AuthUser[]> {
    requirePermission(caller, Permission.UserView);
    const rows = await this.users.list(this.dataSource.manager);
    return rows.map(toAuthUser);
  }
}

function alreadyExists(username: string) {
  return RpcErrors.alreadyExists(`A user named "${username}" already exists`);
}
