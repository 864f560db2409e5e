import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

import { createAuditOutboxTable, dropAuditOutboxTable } from '@flotilla/audit/outbox';
import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/** Users, sessions, API keys and the auth audit outbox. */
export class CreateAuthTables1764200000100 implements MigrationInterface {
  name = 'CreateAuthTables1764200000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          c.id(),
          c.varchar('username', 100),
          c.varchar('username_normalized', 100),
          c.varchar('display_name', 200),
          c.varchar('password_hash', 255, true),
          c.text('roles'),
          c.boolean('is_active', true),
          c.varchar('source', 20),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
        indices: [
          new TableIndex({
            name: 'ux_users_username_normalized',
            columnNames: ['username_normalized'],
            isUnique: true,
          }),
        ],
      }),
    );
    const ownedByUser = (table: string): TableForeignKey =>
      new TableForeignKey({
        name: `fk_${table}_user`,
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          c.id(),
          c.varchar('token_hash', 64),
          c.ref('user_id'),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('expires_at'),
          c.timestamp('last_seen_at', { defaultNow: true }),
        ],
        indices: [
          new TableIndex({ name: 'ux_sessions_token_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'ix_sessions_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_sessions_expires', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [ownedByUser('sessions')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          c.id(),
          c.ref('user_id'),
          c.varchar('purpose', 200),
          c.varchar('key_hash', 64),
          c.timestamp('created_at', { defaultNow: true }),
          c.timestamp('revoked_at', { nullable: true }),
        ],
        indices: [
          new TableIndex({ name: 'ux_api_keys_key_hash', columnNames: ['key_hash'], isUnique: true }),
          new TableIndex({ name: 'ix_api_keys_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [ownedByUser('api_keys')],
      }),
    );
    await createAuditOutboxTable(queryRunner, 'auth');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropAuditOutboxTable(queryRunner, 'auth');
    // DROP TABLE takes its indexes along; dropping them first by name fails on Babelfish.
    for (const table of ['api_keys', 'sessions', 'users'])
      await queryRunner.dropTable(table, false, true, false);
  }
}
