import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';

import { parseJson } from '../shared/json-column';
import { Transactions } from '../shared/transactions';
import { VariableSetEntity } from './variable-set.entity';

/** Version 0 means the project never had variables saved. */
export type StoredVariableSet = orchestratorV1.VariableSet;

@Injectable()
export class VariablesRepository {
  constructor(@Inject(Transactions) private readonly transactions: Transactions) {}

  async find(
    projectId: string,
    manager: EntityManager = this.transactions.manager,
  ): Promise<StoredVariableSet> {
    const row = await manager.findOneBy(VariableSetEntity, { projectId });
    if (!row) return { projectId, version: 0, variables: [] };
    return {
      projectId,
      version: row.version,
      variables: parseJson<orchestratorV1.Variable[]>(row.variables, 'variable set'),
    };
  }

  /** Writes the next version if the stored one is still the previous (optimistic concurrency). */
  async save(manager: EntityManager, set: StoredVariableSet): Promise<boolean> {
    const values = { version: set.version, variables: JSON.stringify(set.variables) };
    if (set.version === 1) {
      await manager.insert(VariableSetEntity, { projectId: set.projectId, ...values });
      return true;
    }
    const result = await manager
      .createQueryBuilder()
      .update(VariableSetEntity)
      .set({ ...values, updatedAt: () => this.transactions.sql.now })
      .where('project_id = :projectId AND version = :previous', {
        projectId: set.projectId,
        previous: set.version - 1,
      })
      .execute();
    return result.affected === 1;
  }
}
