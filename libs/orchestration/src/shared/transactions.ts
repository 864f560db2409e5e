import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import type { SqlDialect } from '@flotilla/platform/config';
import { dialectOf, dialectSql, DialectSql } from '@flotilla/platform/persistence';

/**
 * Runs a unit of work in one database transaction, so a change and its audit event commit
 * together or not at all. Also tells repositories which SQL dialect they speak.
 */
@Injectable()
export class Transactions {
  readonly dialect: SqlDialect;
  readonly sql: DialectSql;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
    this.sql = dialectSql(this.dialect);
  }

  /** The manager for reads outside a transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}

export interface StructuredResult<T> {
  records: T[];
  affected: number;
}

/**
 * Runs raw SQL inside a transaction and returns rows and affected-row count the same way on both
 * dialects (the drivers shape raw results differently).
 */
export async function structuredQuery<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<StructuredResult<T>> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('structuredQuery needs a transactional EntityManager');
  const result = await runner.query(sql, params, true);
  const records = (Array.isArray(result.records) ? result.records : []) as T[];
  // A statement that returns rows (RETURNING, OUTPUT) returned one per row it changed; count those.
  // Babelfish reports rowsAffected 0 for UPDATE … OUTPUT, and on the other servers both agree.
  return { records, affected: records.length > 0 ? records.length : (result.affected ?? 0) };
}
