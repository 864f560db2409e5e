import type { QueryRunner } from 'typeorm';

import { dialectOf, dialectSql, isUniqueViolation } from '@flotilla/platform/persistence';
import { MasterKeyError, MasterKeyring } from '@flotilla/platform/secrets';

import { sealedKeyIds } from './sensitive-value-resealing';

/**
 * One row saying which master key seals this database's secrets, with a value sealed under it: a
 * process given another key fails at start-up with a clear message, not at the first deployment.
 * Created by migration 1764200000311; written at first use; moved to the new key by a rotation.
 */
export const MASTER_KEY_CHECK_TABLE = 'master_key_check';
const ROW_ID = 'master';
const CHECK_PLAINTEXT = 'flotilla master key check';
const CHECK_ASSOCIATED_DATA = 'flotilla-master-key-check';

interface CheckRow {
  key_id: string;
  check_value: string;
}

async function readCheck(runner: QueryRunner): Promise<CheckRow | undefined> {
  const sql = dialectSql(dialectOf(runner.connection));
  const rows = (await runner.query(
    `SELECT key_id, check_value FROM ${MASTER_KEY_CHECK_TABLE} WHERE id = ${sql.param(1)}`,
    [ROW_ID],
  )) as CheckRow[];
  return rows[0];
}

function wrongKey(keyring: MasterKeyring, databaseKeyId: string, why: string): MasterKeyError {
  return new MasterKeyError(
    `Wrong master key: this database's sensitive values are sealed under master key ${databaseKeyId}, ` +
      `but ${keyring.description} holds ${keyring.acceptedKeyIds.join(', ')} (${why}). Give every orchestrator ` +
      'and the migrate step the key this database was set up with (npm start keeps it in <data folder>/master.key; ' +
      'restore it from your backup). Without it the sensitive variables cannot be read; ' +
      'starting with a new key would not help.',
  );
}

/**
 * Checks the keyring against the database's check row, writing the row at first use. Throws a
 * MasterKeyError naming what to do when the keyring does not hold the database's key.
 */
export async function verifyMasterKey(
  runner: QueryRunner,
  keyring: MasterKeyring,
): Promise<'verified' | 'recorded'> {
  let row = await readCheck(runner);
  if (!row) {
    // No check row yet, yet values sealed under a key this process lacks (the row was lost): refuse
    // rather than pin the wrong key.
    const foreign = [...(await sealedKeyIds(runner))].find((keyId) => !keyring.holds(keyId));
    if (foreign) throw wrongKey(keyring, foreign, 'values are sealed under it');
    try {
      await writeMasterKeyCheck(runner, keyring, 'insert');
      return 'recorded';
    } catch (error) {
      // Another orchestrator wrote it first: check against theirs.
      if (!isUniqueViolation(error)) throw error;
      row = await readCheck(runner);
      if (!row) throw error;
    }
  }
  if (!keyring.holds(row.key_id)) throw wrongKey(keyring, row.key_id, 'a different key');
  try {
    keyring.open(row.check_value, CHECK_ASSOCIATED_DATA);
  } catch {
    throw wrongKey(keyring, row.key_id, 'the check value does not open');
  }
  return 'verified';
}

/** Records the keyring's sealing key as the database's key (first use, or a rotation moving on). */
export async function writeMasterKeyCheck(
  runner: QueryRunner,
  keyring: MasterKeyring,
  how: 'insert' | 'update',
): Promise<void> {
  const sql = dialectSql(dialectOf(runner.connection));
  const key = keyring.sealingKey;
  const checkValue = keyring.seal(CHECK_PLAINTEXT, CHECK_ASSOCIATED_DATA);
  if (how === 'insert') {
    await runner.query(
      `INSERT INTO ${MASTER_KEY_CHECK_TABLE} (id, key_id, check_value, updated_at) ` +
        `VALUES (${sql.param(1)}, ${sql.param(2)}, ${sql.param(3)}, ${sql.now})`,
      [ROW_ID, key.id, checkValue],
    );
    return;
  }
  await runner.query(
    `UPDATE ${MASTER_KEY_CHECK_TABLE} SET key_id = ${sql.param(1)}, check_value = ${sql.param(2)}, updated_at = ${sql.now} ` +
      `WHERE id = ${sql.param(3)}`,
    [key.id, checkValue, ROW_ID],
  );
}

/** The key id the database's check row names, if it has one yet. */
export async function databaseMasterKeyId(runner: QueryRunner): Promise<string | undefined> {
  return (await readCheck(runner))?.key_id;
}
