import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

import { dialectOf, portableColumns } from '@flotilla/platform/persistence';

/**
 * Expand only: lets a node that received SIGTERM show as Draining while it finishes its tasks.
 * NULL (what nodes that predate it leave) means "not stopping".
 */
export class AddNodeStopping1764200000302 implements MigrationInterface {
  name = 'AddNodeStopping1764200000302';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = portableColumns(dialectOf(queryRunner.connection));
    // Database time of the executor's first heartbeat after SIGTERM; cleared by its next start.
    await queryRunner.addColumn(
      'cluster_nodes',
      new TableColumn(c.timestamp('stopping_since', { nullable: true })),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('cluster_nodes', 'stopping_since');
  }
}
