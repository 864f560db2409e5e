import { MigrationInterface, QueryRunner } from 'typeorm';

import { addAuditOutboxForwardedFor, auditOutboxTable } from '@flotilla/audit/outbox';

import { dropDefaultedColumns } from '@flotilla/platform/persistence';

/** Expand only: the orchestrator's outbox keeps the raw X-Forwarded-For of each event. */
export class AddAuditOutboxForwardedFor1764200000310 implements MigrationInterface {
  name = 'AddAuditOutboxForwardedFor1764200000310';

  up = (queryRunner: QueryRunner) => addAuditOutboxForwardedFor(queryRunner, 'orchestrator');
  // Not dropAuditOutboxForwardedFor: TypeORM's dropColumn drops the '' default by a constraint
  // name Babelfish does not keep (see dropDefaultedColumns).
  down = (queryRunner: QueryRunner) =>
    dropDefaultedColumns(queryRunner, auditOutboxTable('orchestrator'), ['forwarded_for']);
}
