import { parseArgs } from 'node:util';

import { createMigratedTestDatabase, startPostgresServer } from '@flotilla/testing';

// The trail's own schema and page SQL, so the plans are those of the queries the audit service runs.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AuditTrailEntities, AuditTrailMigrations } from '../../../libs/audit/trail/src/index';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { buildAuditPageSql } from '../../../libs/audit/trail/src/query/audit-filter';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { AuditQuery } from '../../../libs/audit/trail/src/query/audit-query';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { auditTrailSql } from '../../../libs/audit/trail/src/sql/audit-trail-sql';
import { seedAuditTrail, TRAIL_SHAPE } from './audit/audit-trail-seed';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' } } });

/**
 * The PostgreSQL plans of the reviewers' provenance filters (outcome, request id, project,
 * environment) on a trail seeded as bench:audit-query seeds it: EXPLAIN (ANALYZE, BUFFERS) of the
 * audit service's own page SQL, first page of 50. Prints each plan and its execution time.
 * Run: SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/src/audit-query-plans.ts --events 1000000
 */
async function main(): Promise<void> {
  const events = Number(values.events);
  const server = await startPostgresServer();
  process.env['FLOTILLA_TEST_PG_BASE_URL'] ??= server.baseUrl;
  const db = await createMigratedTestDatabase(
    { entities: AuditTrailEntities, migrations: AuditTrailMigrations },
    'postgres',
  );
  try {
    const started = Date.now();
    await seedAuditTrail(db.dataSource, events, new Date(), (stored) => {
      if (stored % 500_000 === 0) process.stdout.write(`seeded ${stored}\n`);
    });
    process.stdout.write(`seeded ${events} events in ${Math.round((Date.now() - started) / 1000)} s\n`);
    const queries: [string, Partial<AuditQuery>][] = [
      ['outcome failure (1 in 100)', { outcome: 'failure' }],
      ['request id (one event)', { requestId: `req-${Math.floor(events / 3)}` }],
      ['project (1 of 1,000)', { projectId: 'project-17' }],
      ['environment (1 of 50, half the trail)', { environmentId: 'environment-7' }],
    ];
    for (const [name, filter] of queries) {
      const { select, params } = buildAuditPageSql({ take: 50, ...filter }, auditTrailSql('postgres'));
      const plan = await db.dataSource.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN (ANALYZE, BUFFERS) ${select}`,
        params,
      );
      process.stdout.write(`\n== ${name} (${TRAIL_SHAPE.days} days, ${events} events)\n`);
      for (const row of plan) process.stdout.write(`${row['QUERY PLAN']}\n`);
    }
  } finally {
    await db.dispose();
    await server.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
