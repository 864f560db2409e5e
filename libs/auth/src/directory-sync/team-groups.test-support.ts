import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { Permission, Role } from '@flotilla/api-interfaces';
import { AuditRecorder, auditOutboxTable } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';

import { ApiKeysRepository } from '../persistence/api-keys.repository';
import { AUTH_AUDIT_SOURCE } from '../persistence/auth-entities';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import { TeamsRepository } from '../teams/teams.repository';
import { hashSecret, newApiKeySecret } from '../tokens/secret-tokens';
import { TokenValidator } from '../tokens/token-validator';
import type { TokenRevocation, TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';

import { ClusterLease } from './cluster-lease';
import { DirectoryAccountReader } from './directory-account-reader';
import { DirectoryGroupMembersReader } from './directory-group-members';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DIRECTORY_SYNC_ACTOR, DirectorySyncService } from './directory-sync.service';
import { TeamGroupRefresh } from './team-group-refresh';

/** The team groups' refresh as production wires it (directory-sync.providers.ts), on a test's database. */
export class TeamGroupsHarness {
  readonly published: TokenRevocation[] = [];
  readonly validator: TokenValidator;
  private readonly audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
  private readonly revocations: TokenRevocations = {
    published: (revocation) => {
      this.published.push(revocation);
      return Promise.resolve();
    },
  };

  constructor(
    private readonly dataSource: DataSource,
    /** Short, so a spec can run the next pass after a pause. */
    readonly leaseTtlMs = 300,
  ) {
    this.validator = new TokenValidator(
      dataSource,
      new SessionsRepository(),
      new ApiKeysRepository(),
      new UsersRepository(),
    );
  }

  /** `teamGroups` false: the sync as it was before team groups were refreshed (for comparisons). */
  sync(config: DirectoryConfig, leaseName: string, teamGroups = true): DirectorySyncService {
    const repository = new DirectorySyncRepository(this.dataSource);
    return new DirectorySyncService(
      this.dataSource,
      new DirectoryAccountReader(config),
      repository,
      new AccountStateRepository(),
      this.audit,
      this.revocations,
      new ClusterLease(this.dataSource, leaseName),
      'spec-node',
      this.leaseTtlMs,
      teamGroups
        ? new TeamGroupRefresh(
            this.dataSource,
            new DirectoryGroupMembersReader(config),
            repository,
            this.audit,
            this.revocations,
            DIRECTORY_SYNC_ACTOR,
          )
        : undefined,
    );
  }

  /** Waits out the lease, then ticks: one pass. */
  async nextPass(sync: DirectorySyncService) {
    await new Promise((resolve) => setTimeout(resolve, this.leaseTtlMs + 100));
    return sync.tick();
  }

  /** A team whose one member is the directory group `groupId`, granting `role` everywhere. */
  async teamOfGroup(name: string, groupId: string, role: Role = Role.Deployer): Promise<string> {
    const id = randomUUID();
    await new TeamsRepository().insert(this.dataSource.manager, id, {
      name,
      description: '',
      members: [{ kind: 'group', id: groupId }],
      grants: [{ role }],
    });
    return id;
  }

  deleteTeam(id: string): Promise<boolean> {
    return new TeamsRepository().delete(this.dataSource.manager, id);
  }

  async openSession(userId: string): Promise<string> {
    const token = `session-${randomUUID()}`;
    await new SessionsRepository().open(this.dataSource.manager, {
      id: randomUUID(),
      tokenHash: hashSecret(token),
      userId,
      ttlSeconds: 3600,
    });
    return token;
  }

  async createApiKey(userId: string): Promise<string> {
    const secret = newApiKeySecret();
    await new ApiKeysRepository().insert(this.dataSource.manager, {
      id: randomUUID(),
      userId,
      purpose: 'team groups spec',
      keyHash: hashSecret(secret),
    });
    return secret;
  }

  /** Whether the credential's principal (ValidateToken, as every call resolves it) may deploy. */
  async mayDeploy(token: string): Promise<boolean> {
    const principal = await this.validator.validate(token);
    return principal.permissions.includes(Permission.DeploymentCreate);
  }

  /** The sync's audited team group changes of a user: [groupId, 'added' | 'removed']. */
  async auditedGroupChanges(userId: string): Promise<[string, string][]> {
    const rows = await this.dataSource.query<{ action: string; details: string }[]>(
      `SELECT action, details FROM ${auditOutboxTable(AUTH_AUDIT_SOURCE)} WHERE resource_id = '${userId}' ORDER BY occurred_at`,
    );
    return rows
      .filter((row) => row.action.startsWith('user.team-group-'))
      .map((row) => JSON.parse(row.details) as { groupId: string; change: string })
      .map((details) => [details.groupId, details.change]);
  }
}
