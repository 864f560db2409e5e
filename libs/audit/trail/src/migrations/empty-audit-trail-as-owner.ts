import type { DataSource } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

import { AUDIT_EVENTS_GUARD_TRIGGER as GUARD } from './1764200000202-make-audit-events-append-only';

/**
 * For tests only: empties audit_events the way only the table's owner can, around the append-only
 * trigger (the services never remove audit events). PostgreSQL: the trigger is switched off for one
 * transaction (ALTER TABLE needs ownership). SQL Server / Babelfish: TRUNCATE TABLE fires no DML
 * trigger and needs ALTER on the table, which a services role with INSERT and SELECT lacks.
 */
export async function emptyAuditTrailAsOwner(dataSource: DataSource): Promise<void> {
  // The chain starts again from its first link, with no checkpoint, as on a fresh database.
  const restartChain = async (run: (sql: string) => Promise<unknown>): Promise<void> => {
    await run(
      `UPDATE audit_chain_head SET sequence_number = 0, chain_hash = '${'0'.repeat(64)}' WHERE id = 1`,
    );
    await run('DELETE FROM audit_checkpoints');
  };
  if (dialectOf(dataSource) === 'mssql') {
    await dataSource.query('TRUNCATE TABLE audit_events');
    await restartChain((sql) => dataSource.query(sql));
    return;
  }
  await dataSource.transaction(async (manager) => {
    await manager.query(`ALTER TABLE audit_events DISABLE TRIGGER ${GUARD}`);
    await manager.query('TRUNCATE audit_events');
    await manager.query(`ALTER TABLE audit_events ENABLE TRIGGER ${GUARD}`);
    await restartChain((sql) => manager.query(sql));
  });
}
