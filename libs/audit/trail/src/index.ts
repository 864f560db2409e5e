import { AuditEventEntity } from './event/audit-event.entity';
import { CreateAuditEvents1764200000200 } from './migrations/1764200000200-create-audit-events';
import { AddAuditEventsForwardedFor1764200000201 } from './migrations/1764200000201-add-audit-events-forwarded-for';
import { MakeAuditEventsAppendOnly1764200000202 } from './migrations/1764200000202-make-audit-events-append-only';
import { ChainAuditEvents1764200000203 } from './migrations/1764200000203-chain-audit-events';
import { CreateAuditCheckpoints1764200000204 } from './migrations/1764200000204-create-audit-checkpoints';
import { AddAuditEventsClientIpKey1764200000205 } from './migrations/1764200000205-add-audit-events-client-ip-key';

export * from './audit-event.repository';
export * from './audit-trail.module';
export * from './audit-trail.service';
export * from './chain/audit-chain';
export * from './chain/audit-checkpoint';
export * from './chain/audit-checkpoint-writer';
export * from './chain/audit-manifest';
export * from './chain/audit-trail-keys';
export * from './chain/verify-audit-chain';
export * from './event/audit-event.columns';
export * from './event/audit-event.entity';

export const AuditTrailEntities = [AuditEventEntity];
export const AuditTrailMigrations = [
  CreateAuditEvents1764200000200,
  AddAuditEventsForwardedFor1764200000201,
  MakeAuditEventsAppendOnly1764200000202,
  ChainAuditEvents1764200000203,
  CreateAuditCheckpoints1764200000204,
  AddAuditEventsClientIpKey1764200000205,
];
