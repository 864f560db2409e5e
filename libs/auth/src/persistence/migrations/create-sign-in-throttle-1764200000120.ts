import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: the sign-in throttle's counters when Redis is absent or down (libs/auth/src/throttle).
 * One row per counter (`account:<id>`, `name:<sha256>`, `ip:<address>`); the window's end is the
 * database's time, so every node judges it alike.
 */
export class CreateSignInThrottle1764200000120 implements MigrationInterface {
  name = 'CreateSignInThrottle1764200000120';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'sign_in_throttle',
        columns: [
          { ...c.varchar('throttle_key', 100), isPrimary: true },
          c.int('failures', 0),
          c.timestamp('window_ends_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_sign_in_throttle_window_ends', columnNames: ['window_ends_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // DROP TABLE takes its index along; dropping it first by name fails on Babelfish.
    await queryRunner.dropTable('sign_in_throttle', false, true, false);
  }
}
