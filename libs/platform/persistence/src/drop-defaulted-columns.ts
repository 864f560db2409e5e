import type { QueryRunner } from 'typeorm';

import { dialectOf } from './dialect';

/**
 * Drops columns that have a DEFAULT, for the `down` of an expand migration, on both dialects.
 *
 * SQL Server refuses to drop a column its default constraint depends on, so the constraint goes
 * first, found through the catalogue by table and column rather than by the name TypeORM gave it
 * (TypeORM's dropColumn issues `DROP CONSTRAINT "DF_<hash>"`). Only defaults that are objects are
 * dropped (`OBJECT_ID` finds them): Babelfish lists its defaults in sys.default_constraints but
 * keeps them as PostgreSQL column defaults, which no DROP CONSTRAINT reaches and DROP COLUMN takes
 * along. PostgreSQL drops a column with its default.
 */
export async function dropDefaultedColumns(
  queryRunner: QueryRunner,
  table: string,
  columns: readonly string[],
): Promise<void> {
  if (dialectOf(queryRunner.connection) !== 'mssql') {
    await queryRunner.dropColumns(table, [...columns]);
    return;
  }
  for (const column of columns) {
    const defaults = (await queryRunner.query(
      'SELECT d.name AS name FROM sys.default_constraints d ' +
        'JOIN sys.columns c ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id ' +
        'WHERE d.parent_object_id = OBJECT_ID(@0) AND c.name = @1 AND OBJECT_ID(QUOTENAME(d.name)) IS NOT NULL',
      [table, column],
    )) as { name: string }[];
    for (const { name } of defaults)
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteName(name)}`);
    await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN ${quoteName(column)}`);
  }
}

/** A T-SQL delimited identifier (what QUOTENAME returns). */
function quoteName(name: string): string {
  return `[${name.replace(/]/g, ']]')}]`;
}
