import { MigrationInterface, QueryRunner } from 'typeorm';

import { addAuditOutboxForwardedFor, dropAuditOutboxForwardedFor } from '@flotilla/audit/outbox';

/** Expand only: the orchestrator's outbox keeps the raw X-Forwarded-For of each event. */
export class AddAuditOutboxForwardedFor1764200000310 implements MigrationInterface {
  name = 'AddAuditOutboxForwardedFor1764200000310';

  up = (queryRunner: QueryRunner) => addAuditOutboxForwardedFor(queryRunner, 'orchestrator');
  down = (queryRunner: QueryRunner) => dropAuditOutboxForwardedFor(queryRunner, 'orchestrator');
}
