import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, dropDefaultedColumns, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: an account can be marked "must change its password before it signs in" (the
 * bootstrap administrator made with a generated password). NOT NULL with a false default, so every
 * existing account, and an older auth service still inserting during a rolling upgrade, reads as
 * "no change required".
 */
export class AddUsersMustChangePassword1764200000102 implements MigrationInterface {
  name = 'AddUsersMustChangePassword1764200000102';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumn('users', new TableColumn(c.boolean('must_change_password', false)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropDefaultedColumns(queryRunner, 'users', ['must_change_password']);
  }
}
