import { randomUUID } from 'node:crypto';

import { DataSource, EntityManager } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { requirePermission } from '../principal/principal';

import { TeamInput, validateTeam } from './team-rules';
import { requireMembersTokensFit } from './team-token-bound';
import { StoredTeam, TeamRow, TeamsRepository } from './teams.repository';

const nameTaken = (name: string) => RpcErrors.alreadyExists(`A team named ${name} already exists`);
const notFound = (id: string) => RpcErrors.notFound(`Team ${id} not found`);

/**
 * Team administration: reading needs UserView, changing UserEdit (the gateway's call policy checks
 * the same; auth checks again, as for accounts). Each change commits with its audit event.
 *
 * A change reaches every node within a second without a revocation notice: auth composes a
 * token's grants afresh on every ValidateToken (principal.ts), and the gateways cache a principal
 * for at most TOKEN_CACHE_MS = 1 s (libs/gateway-api token-validator.ts), so the next request after
 * that second, on any node, carries the team's new grants (an added one as well as a removed one).
 */
export class TeamsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly teams: TeamsRepository,
    private readonly audit: AuditRecorder,
  ) {}

  async list(caller: CallerIdentity): Promise<StoredTeam[]> {
    requirePermission(caller, Permission.UserView);
    return this.teams.list(this.dataSource.manager);
  }

  async get(caller: CallerIdentity, id: string): Promise<StoredTeam> {
    requirePermission(caller, Permission.UserView);
    return this.existing(this.dataSource.manager, id);
  }

  async create(caller: CallerIdentity, input: TeamInput): Promise<StoredTeam> {
    requirePermission(caller, Permission.UserEdit);
    const row = validateTeam(input);
    const id = randomUUID();
    return this.writing(row.name, async (manager) => {
      if (await this.teams.findByName(manager, row.name)) throw nameTaken(row.name);
      await this.requireUsers(manager, row);
      await this.teams.insert(manager, id, row);
      await requireMembersTokensFit(manager, id, row);
      await this.record(manager, caller, 'team.created', id, detailsOf(row));
      return this.existing(manager, id);
    });
  }

  /** Replaces the team's name, description, members and grants. */
  async update(caller: CallerIdentity, id: string, input: TeamInput): Promise<StoredTeam> {
    requirePermission(caller, Permission.UserEdit);
    const row = validateTeam(input);
    return this.writing(row.name, async (manager) => {
      const before = await this.existing(manager, id);
      const holder = await this.teams.findByName(manager, row.name);
      if (holder && holder.id !== id) throw nameTaken(row.name);
      await this.requireUsers(manager, row);
      if (!(await this.teams.replace(manager, id, row))) throw notFound(id);
      await requireMembersTokensFit(manager, id, row);
      await this.record(manager, caller, 'team.updated', id, {
        ...detailsOf(row),
        previous: detailsOf(before),
      });
      return this.existing(manager, id);
    });
  }

  async delete(caller: CallerIdentity, id: string): Promise<void> {
    requirePermission(caller, Permission.UserEdit);
    await this.dataSource.transaction(async (manager) => {
      const before = await this.existing(manager, id);
      if (!(await this.teams.delete(manager, id))) throw notFound(id);
      await this.record(manager, caller, 'team.deleted', id, detailsOf(before));
    });
  }

  /** In one transaction; two writers racing for one name: the unique index refuses the second. */
  private async writing<T>(name: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
  }

  private async requireUsers(manager: EntityManager, row: TeamRow): Promise<void> {
    const userIds = row.members.filter((member) => member.kind === 'user').map((member) => member.id);
    const found = await this.teams.existingUserIds(manager, userIds);
    const unknown = userIds.filter((id) => !found.has(id));
    if (unknown.length > 0) throw RpcErrors.invalidArgument(`Unknown user id(s): ${unknown.join(', ')}`);
  }

  private async existing(manager: EntityManager, id: string): Promise<StoredTeam> {
    const team = id ? await this.teams.findById(manager, id) : undefined;
    if (!team) throw notFound(id);
    return team;
  }

  private record(
    manager: EntityManager,
    actor: CallerIdentity,
    action: string,
    teamId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(manager, { actor, action, resourceType: 'Team', resourceId: teamId, details });
  }
}

/** What the audit trail keeps of a team: everything that decides who may do what. */
function detailsOf(team: Pick<TeamRow, 'name' | 'members' | 'grants'>): Record<string, unknown> {
  return {
    name: team.name,
    members: team.members.map((member) => ({ kind: member.kind, id: member.id })),
    grants: team.grants,
  };
}
