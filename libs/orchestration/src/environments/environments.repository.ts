import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { DeploymentEntity } from '../deployments/deployment.entity';
import type { ScopeFilter } from '../shared/caller-scope';
import { scopedWhere } from '../shared/scoped-where';
import { Transactions } from '../shared/transactions';
import { EnvironmentEntity } from './environment.entity';

@Injectable()
export class EnvironmentsRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  findById(
    id: string,
    manager: EntityManager = this.transactions.manager,
  ): Promise<EnvironmentEntity | null> {
    return manager.findOneBy(EnvironmentEntity, { id });
  }

  findClash(name: string, slug: string, manager: EntityManager): Promise<EnvironmentEntity | null> {
    return manager
      .createQueryBuilder(EnvironmentEntity, 'e')
      .where('e.name = :name OR e.slug = :slug', { name, slug })
      .getOne();
  }

  /** Ids among the given ones that name no environment. */
  async unknownIds(
    ids: readonly string[],
    manager: EntityManager = this.transactions.manager,
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await manager
      .createQueryBuilder(EnvironmentEntity, 'e')
      .select('e.id', 'id')
      .where('e.id IN (:...ids)', { ids })
      .getRawMany<{ id: string }>();
    const known = new Set(found.map((row) => row.id));
    return ids.filter((id) => !known.has(id));
  }

  /** The environments `visible` lets through, in their deployment order. */
  async list(visible: ScopeFilter): Promise<EnvironmentEntity[]> {
    const where = scopedWhere<EnvironmentEntity>({}, visible, { environment: 'id' });
    if (!where) return [];
    return this.transactions.manager.find(EnvironmentEntity, {
      where,
      order: { sortOrder: 'ASC', name: 'ASC' },
    });
  }

  async nextSortOrder(manager: EntityManager): Promise<number> {
    const row = await manager
      .createQueryBuilder(EnvironmentEntity, 'e')
      .select('MAX(e.sort_order)', 'max')
      .getRawOne<{ max: number | string | null }>();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max) + 1;
  }

  async insert(
    manager: EntityManager,
    environment: Pick<EnvironmentEntity, 'id' | 'name' | 'slug' | 'description' | 'sortOrder'>,
  ): Promise<EnvironmentEntity> {
    await manager.insert(EnvironmentEntity, environment);
    return manager.findOneByOrFail(EnvironmentEntity, { id: environment.id });
  }

  hasDeployments(manager: EntityManager, environmentId: string): Promise<boolean> {
    return manager.existsBy(DeploymentEntity, { environmentId });
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(EnvironmentEntity, { id });
  }
}
