import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: an API key may carry an expiry (timestamptz on PostgreSQL, datetime2 in UTC on SQL
 * Server), after which it is refused like a revoked key. Nullable with no default, so every
 * existing key, and an older auth service still inserting during a rolling upgrade, never expires.
 */
export class AddApiKeysExpiresAt1764200000110 implements MigrationInterface {
  name = 'AddApiKeysExpiresAt1764200000110';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.addColumn('api_keys', new TableColumn(c.timestamp('expires_at', { nullable: true })));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('api_keys', 'expires_at');
  }
}
