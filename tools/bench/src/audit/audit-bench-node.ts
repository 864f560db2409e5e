import type { DataSource } from 'typeorm';

import { createDataSource } from '@flotilla/platform/persistence';
import { FlotillaNode, startFlotillaNode, startPostgresServer } from '@flotilla/testing';

import type { Teardown } from '../bench-runner';
import { progress } from '../report';

/** A node that runs no task (its trail is what is measured) and a connection to seed its database. */
export interface AuditBenchNode {
  node: FlotillaNode;
  /** For seeding the trail in SQL, as the audit benchmarks do. */
  dataSource: DataSource;
}

/**
 * Starts PostgreSQL (unless FLOTILLA_TEST_PG_BASE_URL names one), a node on it, and a seeding
 * connection to the node's database; the teardown stops them in reverse order.
 */
export async function startAuditBenchNode(teardown: Teardown): Promise<AuditBenchNode> {
  if (!process.env['FLOTILLA_TEST_PG_BASE_URL']) {
    const server = await teardown.use('PostgreSQL', startPostgresServer(), (started) => started.stop());
    process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
  }
  progress('starting a node');
  const node = await teardown.use('node', startFlotillaNode({ env: { FLOTILLA_TASK_CAP: '0' } }), (started) =>
    started.stop(),
  );
  const dataSource = await teardown.use(
    'the seeding connection',
    createDataSource(
      { dialect: 'postgres', url: node.databaseUrl },
      { entities: [], applicationName: 'flotilla-bench' },
    ).initialize(),
    (connection) => connection.destroy(),
  );
  return { node, dataSource };
}
