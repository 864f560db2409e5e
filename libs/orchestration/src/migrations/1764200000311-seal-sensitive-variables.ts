import { MigrationInterface, QueryRunner, Table } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';
import { hasMasterKeyConfigured, loadMasterKeyring, MasterKeyError } from '@flotilla/platform/secrets';

import { MASTER_KEY_CHECK_TABLE, verifyMasterKey } from '../variables/master-key-check';
import {
  countSensitiveValues,
  resealSensitiveValues,
  unsealSensitiveValues,
} from '../variables/sensitive-value-resealing';

/**
 * Sensitive variable values are sealed (AES-256-GCM under the master key) from now on: adds the
 * master-key check row's table and seals the values earlier versions stored in clear, in variable
 * sets and release snapshots. A database with no such value (every new one) needs no key here;
 * one with clear values needs the key in this process's environment (FLOTILLA_MASTER_KEY or
 * FLOTILLA_MASTER_KEY_FILE: `npm start` sets it before migrating) and fails, saying so, without.
 */
export class SealSensitiveVariables1764200000311 implements MigrationInterface {
  name = 'SealSensitiveVariables1764200000311';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    await queryRunner.createTable(
      new Table({
        name: MASTER_KEY_CHECK_TABLE,
        columns: [
          c.id(),
          c.varchar('key_id', 64),
          c.text('check_value'),
          c.timestamp('updated_at', { defaultNow: true }),
        ],
      }),
    );
    const { clear } = await countSensitiveValues(queryRunner);
    if (clear === 0) return;
    if (!hasMasterKeyConfigured()) {
      throw new MasterKeyError(
        `${clear} sensitive variable value(s) are stored in clear and this migration encrypts them, but no ` +
          'master key is configured: set FLOTILLA_MASTER_KEY or FLOTILLA_MASTER_KEY_FILE for the migrate step ' +
          '(npm start does: <data folder>/master.key) and run it again.',
      );
    }
    const keyring = loadMasterKeyring();
    await verifyMasterKey(queryRunner, keyring);
    await resealSensitiveValues(queryRunner, keyring);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Earlier versions read values as stored: put them back in clear first (needs the key if any is sealed).
    const { total, clear } = await countSensitiveValues(queryRunner);
    if (total > clear) await unsealSensitiveValues(queryRunner, loadMasterKeyring());
    await queryRunner.dropTable(MASTER_KEY_CHECK_TABLE);
  }
}
