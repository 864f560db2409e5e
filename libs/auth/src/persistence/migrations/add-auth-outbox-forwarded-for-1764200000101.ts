import { MigrationInterface, QueryRunner } from 'typeorm';

import { addAuditOutboxForwardedFor, dropAuditOutboxForwardedFor } from '@flotilla/audit/outbox';

/** Expand only: the auth outbox keeps the raw X-Forwarded-For of each event (sign-ins above all). */
export class AddAuthOutboxForwardedFor1764200000101 implements MigrationInterface {
  name = 'AddAuthOutboxForwardedFor1764200000101';

  up = (queryRunner: QueryRunner) => addAuditOutboxForwardedFor(queryRunner, 'auth');
  down = (queryRunner: QueryRunner) => dropAuditOutboxForwardedFor(queryRunner, 'auth');
}
