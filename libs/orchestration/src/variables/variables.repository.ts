import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';
import { MasterKeyring } from '@flotilla/platform/secrets';

import { parseJson } from '../shared/json-column';
import { Transactions } from '../shared/transactions';
import { openSensitiveValues, sealSensitiveValues } from './sealed-variables';
import { VariableSetEntity } from './variable-set.entity';

/** Version 0 means the project never had variables saved. */
export type StoredVariableSet = orchestratorV1.VariableSet;

/**
 * Variable sets as the database holds them: sensitive values sealed under the master key (bound to
 * the project, the variable's name and scope), never in clear. `find` returns them sealed (enough
 * for showing them masked); `findInClear` opens them for the orchestrator's own use.
 */

@Injectable()
export class VariablesRepository {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(MasterKeyring) private readonly keyring: MasterKeyring,
  ) {}

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

  async findInClear(
    projectId: string,
    manager: EntityManager = this.transactions.manager,
  ): Promise<StoredVariableSet> {
    const set = await this.find(projectId, manager);
    return {
      ...set,
      variables: openSensitiveValues(this.keyring, { variableSetOf: projectId }, set.variables),
    };
  }

  /** Seals the set's sensitive values, then writes the next version if the stored one is still the previous (optimistic concurrency). */
  async save(manager: EntityManager, set: StoredVariableSet): Promise<boolean> {
    const sealed = sealSensitiveValues(this.keyring, { variableSetOf: set.projectId }, set.variables);
    const values = { version: set.version, variables: JSON.stringify(sealed) };
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
