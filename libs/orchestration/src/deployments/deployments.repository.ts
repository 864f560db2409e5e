import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, FindOptionsWhere } from 'typeorm';

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

  list(filter: { projectId?: string; environmentId?: string }): Promise<DeploymentEntity[]> {
    const where: FindOptionsWhere<DeploymentEntity> = {};
    if (filter.projectId) where.projectId = filter.projectId;
    if (filter.environmentId) where.environmentId = filter.environmentId;
    return this.transactions.manager.find(DeploymentEntity, {
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      take: MAX_DEPLOYMENTS_LISTED,
    });
  }
}
