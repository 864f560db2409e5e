import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

const INDEX = 'ux_users_external_id';

/**
 * Expand only: a directory account is keyed on the directory's immutable id (AD objectGUID,
 * LDAP entryUUID), so a renamed or moved person stays the same Flotilla user. Nullable with no
 * default: every local account, and an older auth service still inserting during a rolling
 * upgrade, has none. Unique where present; filtered, because SQL Server's plain unique index
 * would allow one NULL only (PostgreSQL takes the same partial index).
 */
export class AddUsersExternalId1764200000130 implements MigrationInterface {
  name = 'AddUsersExternalId1764200000130';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumn('users', new TableColumn(c.varchar('external_id', 100, true)));
    await queryRunner.createIndex(
      'users',
      new TableIndex({
        name: INDEX,
        columnNames: ['external_id'],
        isUnique: true,
        where: 'external_id IS NOT NULL',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // By the name this migration gave it, in each dialect's own syntax (TypeORM's dropIndex looks
    // the index up in the catalogue first, where Babelfish shows another name).
    await queryRunner.query(
      dialectOf(queryRunner.connection) === 'mssql' ? `DROP INDEX ${INDEX} ON users` : `DROP INDEX ${INDEX}`,
    );
    await queryRunner.query('ALTER TABLE users DROP COLUMN external_id');
  }
}
