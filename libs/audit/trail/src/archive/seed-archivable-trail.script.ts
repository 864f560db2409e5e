import { readFileSync } from 'node:fs';

import type { EntityManager } from 'typeorm';

import type { SqlDialect } from '@flotilla/platform/config';
import { createDataSource, dialectOf } from '@flotilla/platform/persistence';
import { PkiLayout } from '@flotilla/platform/pki';

import { seedArchivableTrail } from './archivable-trail.test-support';

/**
 * TEST AND BENCHMARK TOOL, run as a process (the HA spec and `npm run bench:audit-archive` are
 * test-tooling projects that may not import the audit lib):
 *
 *   node -r @swc-node/register libs/audit/trail/src/archive/seed-archivable-trail.script.ts \
 *     --first-day 2026-08-01 --days 6 --per-day 5000 [--replace]
 *
 * with FLOTILLA_DB_DIALECT, FLOTILLA_DB_URL and FLOTILLA_PKI_DIR (the cluster's chain key) set.
 * Stores events recorded on those past days through the real chain; --replace first empties the
 * trail as its owner would (tests only), under the chain lock, so the seeded events are the chain's
 * first and every live event follows them. Prints `seeded <n>` when done.
 */
function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

async function emptyTrailAsOwner(manager: EntityManager): Promise<void> {
  if (dialectOf(manager.connection) === 'mssql') await manager.query('TRUNCATE TABLE audit_events');
  else {
    await manager.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    await manager.query('TRUNCATE audit_events');
    await manager.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
  }
  await manager.query(
    `UPDATE audit_chain_head SET sequence_number = 0, chain_hash = '${'0'.repeat(64)}' WHERE id = 1`,
  );
  await manager.query('DELETE FROM audit_checkpoints');
}

async function main(args: readonly string[]): Promise<void> {
  const firstDay = new Date(`${option(args, 'first-day') ?? ''}T00:00:00.000Z`);
  const days = Number(option(args, 'days'));
  const perDay = Number(option(args, 'per-day'));
  if (Number.isNaN(firstDay.getTime()) || !(days > 0) || !(perDay > 0))
    throw new Error('usage: --first-day YYYY-MM-DD --days N --per-day N [--replace] [--details-chars N]');
  const dialect = (process.env['FLOTILLA_DB_DIALECT'] ?? 'postgres') as SqlDialect;
  const url = process.env['FLOTILLA_DB_URL'] ?? '';
  const chainKey = Buffer.from(
    readFileSync(new PkiLayout(process.env['FLOTILLA_PKI_DIR'] ?? '').auditChainKey, 'utf8').trim(),
    'base64',
  );
  const dataSource = await createDataSource(
    { dialect, url },
    { entities: [], applicationName: 'flotilla-seed' },
  ).initialize();
  try {
    const seeded = await seedArchivableTrail(
      dataSource,
      chainKey,
      { firstDay, days, eventsPerDay: perDay, detailsChars: Number(option(args, 'details-chars') ?? 100) },
      args.includes('--replace') ? emptyTrailAsOwner : undefined,
    );
    process.stdout.write(`seeded ${seeded}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
