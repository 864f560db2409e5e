import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { ScopeFilter } from '../shared/caller-scope';
import { scopedWhere } from '../shared/scoped-where';
import { Transactions } from '../shared/transactions';
import { DeploymentEntity } from './deployment.entity';

/** The contract has no paging for deployments; the newest ones are what users look at. */
export const MAX_DEPLOYMENTS_LISTED = 500;

@Injectable()
export class DeploymentsRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  async insert(
    manager: EntityManager,
    deployment: Omit<DeploymentEntity, 'createdAt'>,
  ): Promise<DeploymentEntity> {
    await manager.insert(DeploymentEntity, deployment);
    return manager.findOneByOrFail(DeploymentEntity, { id: deployment.id });
  }

  findById(id: string): Promise<DeploymentEntity | null> {
    return this.transactions.manager.findOneBy(DeploymentEntity, { id });
  }

  /** Newest first, among those `visible` lets through. */
  async list(
    filter: { projectId?: string; environmentId?: string },
    visible: ScopeFilter,
  ): Promise<DeploymentEntity[]> {
    const requested: { projectId?: string; environmentId?: string } = {};
    if (filter.projectId) requested.projectId = filter.projectId;
    if (filter.environmentId) requested.environmentId = filter.environmentId;
    const where = scopedWhere<DeploymentEntity>(requested, visible, {
      project: 'projectId',
      environment: 'environmentId',
    });
    if (!where) return [];
    return this.transactions.manager.find(DeploymentEntity, {
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      take: MAX_DEPLOYMENTS_LISTED,
    });
  }
}
