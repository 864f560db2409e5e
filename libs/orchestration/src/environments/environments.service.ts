import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { CallerScope } from '../shared/caller-scope';
import { isForeignKeyViolation } from '../shared/constraint-violations';
import { requiredId, slugOf, validDescription, validName } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { toEnvironment } from './environment.mapper';
import { EnvironmentsRepository } from './environments.repository';

@Injectable()
export class EnvironmentsService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(EnvironmentsRepository) private readonly environments: EnvironmentsRepository,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async create(
    actor: CallerIdentity,
    request: orchestratorV1.CreateEnvironmentRequest,
  ): Promise<orchestratorV1.Environment> {
    new CallerScope(actor).requireEverywhere(Permission.EnvironmentCreate);
    const name = validName(request.name, 'environment');
    const slug = slugOf(name, 'environment');
    const description = validDescription(request.description, 'environment');
    const id = randomUUID();
    try {
      const created = await this.transactions.run(async (manager) => {
        const clash = await this.environments.findClash(name, slug, manager);
        if (clash?.name === name)
          throw RpcErrors.alreadyExists(`an environment named "${name}" already exists`);
        if (clash)
          throw RpcErrors.alreadyExists(`environment "${clash.name}" already uses the slug "${slug}"`);
        const sortOrder = await this.environments.nextSortOrder(manager);
        const environment = await this.environments.insert(manager, {
          id,
          name,
          slug,
          description,
          sortOrder,
        });
        await this.audit.record(manager, {
          actor,
          action: 'environment.created',
          resourceType: 'Environment',
          resourceId: id,
          details: { name, slug },
        });
        return environment;
      });
      return toEnvironment(created);
    } catch (error) {
      if (isUniqueViolation(error))
        throw RpcErrors.alreadyExists(`an environment named "${name}" already exists`);
      throw error;
    }
  }

  async get(caller: CallerIdentity, rawId: string): Promise<orchestratorV1.Environment> {
    const id = requiredId(rawId, 'id');
    const environment = await this.environments.findById(id);
    if (!environment) throw missing(id);
    new CallerScope(caller).requireVisible(Permission.EnvironmentView, { environmentId: id }, () =>
      missing(id),
    );
    return toEnvironment(environment);
  }

  async list(caller: CallerIdentity): Promise<orchestratorV1.EnvironmentList> {
    const visible = new CallerScope(caller).filter(Permission.EnvironmentView);
    return { items: (await this.environments.list(visible)).map(toEnvironment) };
  }

  async delete(actor: CallerIdentity, rawId: string): Promise<void> {
    const id = requiredId(rawId, 'id');
    try {
      await this.transactions.run(async (manager) => {
        const environment = await this.environments.findById(id, manager);
        if (!environment) throw missing(id);
        new CallerScope(actor).requireAllowed(
          Permission.EnvironmentDelete,
          Permission.EnvironmentView,
          { environmentId: id },
          `environment "${environment.name}"`,
          () => missing(id),
        );
        if (await this.environments.hasDeployments(manager, id)) {
          throw RpcErrors.failedPrecondition(
            `environment "${environment.name}" has deployments and cannot be deleted`,
          );
        }
        await this.environments.delete(manager, id);
        await this.audit.record(manager, {
          actor,
          action: 'environment.deleted',
          resourceType: 'Environment',
          resourceId: id,
          details: { name: environment.name },
        });
      });
    } catch (error) {
      if (isForeignKeyViolation(error))
        throw RpcErrors.failedPrecondition('environment has deployments and cannot be deleted');
      throw error;
    }
  }
}

function missing(id: string): Error {
  return RpcErrors.notFound(`environment ${id} not found`);
}
