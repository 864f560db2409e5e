import { MigrationInterface, QueryRunner } from 'typeorm';

import { addAuditOutboxForwardedFor, dropAuditOutboxForwardedFor } from '@flotilla/audit/outbox';

/** Expand only: the artifact store's outbox keeps the raw X-Forwarded-For of each event. */
export class AddAuditOutboxForwardedFor1764200000410 implements MigrationInterface {
  name = 'AddAuditOutboxForwardedFor1764200000410';

  up = (queryRunner: QueryRunner) => addAuditOutboxForwardedFor(queryRunner, 'artifacts');
  down = (queryRunner: QueryRunner) => dropAuditOutboxForwardedFor(queryRunner, 'artifacts');
}
