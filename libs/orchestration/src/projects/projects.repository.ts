import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { ReleaseEntity } from '../releases/release.entity';
import type { ScopeFilter } from '../shared/caller-scope';
import { scopedWhere } from '../shared/scoped-where';
import { Transactions } from '../shared/transactions';
import { ProjectEntity } from './project.entity';

@Injectable()
export class ProjectsRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  findById(id: string, manager: EntityManager = this.transactions.manager): Promise<ProjectEntity | null> {
    return manager.findOneBy(ProjectEntity, { id });
  }

  /** Another project already using the name or the slug, if any. */
  findClash(
    name: string,
    slug: string,
    exceptId: string,
    manager: EntityManager,
  ): Promise<ProjectEntity | null> {
    return manager
      .createQueryBuilder(ProjectEntity, 'p')
      .where('(p.name = :name OR p.slug = :slug) AND p.id <> :exceptId', { name, slug, exceptId })
      .getOne();
  }

  /** The projects `visible` lets through, by name. */
  async list(visible: ScopeFilter): Promise<ProjectEntity[]> {
    const where = scopedWhere<ProjectEntity>({}, visible, { project: 'id' });
    if (!where) return [];
    return this.transactions.manager.find(ProjectEntity, { where, order: { name: 'ASC' } });
  }

  async insert(
    manager: EntityManager,
    project: Pick<ProjectEntity, 'id' | 'name' | 'slug' | 'description'>,
  ): Promise<ProjectEntity> {
    await manager.insert(ProjectEntity, project);
    return manager.findOneByOrFail(ProjectEntity, { id: project.id });
  }

  async update(
    manager: EntityManager,
    id: string,
    changes: Pick<ProjectEntity, 'name' | 'description'>,
  ): Promise<ProjectEntity> {
    await manager
      .createQueryBuilder()
      .update(ProjectEntity)
      .set({ ...changes, updatedAt: () => this.transactions.sql.now })
      .where('id = :id', { id })
      .execute();
    return manager.findOneByOrFail(ProjectEntity, { id });
  }

  hasReleases(manager: EntityManager, projectId: string): Promise<boolean> {
    return manager.existsBy(ReleaseEntity, { projectId });
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(ProjectEntity, { id });
  }
}
