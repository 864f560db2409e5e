import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { Transactions } from '../shared/transactions';
import { ReleaseEntity } from './release.entity';

@Injectable()
export class ReleasesRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  findById(id: string, manager: EntityManager = this.transactions.manager): Promise<ReleaseEntity | null> {
    return manager.findOneBy(ReleaseEntity, { id });
  }

  exists(projectId: string, version: string, manager: EntityManager): Promise<boolean> {
    return manager.existsBy(ReleaseEntity, { projectId, version });
  }

  listForProject(projectId: string): Promise<ReleaseEntity[]> {
    return this.transactions.manager.find(ReleaseEntity, {
      where: { projectId },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  async insert(manager: EntityManager, release: Omit<ReleaseEntity, 'createdAt'>): Promise<ReleaseEntity> {
    await manager.insert(ReleaseEntity, release);
    return manager.findOneByOrFail(ReleaseEntity, { id: release.id });
  }
}
