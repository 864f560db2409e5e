import type { SqlDialect } from '@flotilla/platform/config';
import { createDataSource } from '@flotilla/platform/persistence';
import { mssqlDatabaseUrl } from '@flotilla/testing';

/**
 * The commit durability a PostgreSQL-based server runs with ("fsync on, synchronous_commit on"),
 * read with current_setting(), which PostgreSQL and Babelfish (PostgreSQL underneath, through
 * T-SQL) both answer; a real SQL Server does not, and says so. A server that skips the WAL flush
 * on commit is faster at small transactions, so a comparison must print it.
 */
export async function serverDurability(dialect: SqlDialect, baseUrl: string): Promise<string> {
  const url = dialect === 'mssql' ? mssqlDatabaseUrl(baseUrl, 'master') : `${baseUrl}/postgres`;
  const dataSource = await createDataSource(
    { dialect, url },
    { entities: [], applicationName: 'flotilla-bench', poolSize: 1 },
  ).initialize();
  try {
    const rows: { fsync: string; synchronousCommit: string }[] = await dataSource.query(
      `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS "synchronousCommit"`,
    );
    const [row] = rows;
    return row ? `fsync ${row.fsync}, synchronous_commit ${row.synchronousCommit}` : 'unknown';
  } catch {
    return 'SQL Server (no current_setting): see its delayed-durability setting';
  } finally {
    await dataSource.destroy();
  }
}
