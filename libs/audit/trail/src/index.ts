import { AuditEventEntity } from './event/audit-event.entity';
import { CreateAuditEvents1764200000200 } from './migrations/1764200000200-create-audit-events';
import { AddAuditEventsForwardedFor1764200000201 } from './migrations/1764200000201-add-audit-events-forwarded-for';
import { MakeAuditEventsAppendOnly1764200000202 } from './migrations/1764200000202-make-audit-events-append-only';
import { ChainAuditEvents1764200000203 } from './migrations/1764200000203-chain-audit-events';
import { CreateAuditCheckpoints1764200000204 } from './migrations/1764200000204-create-audit-checkpoints';
import { AddAuditEventsClientIpKey1764200000205 } from './migrations/1764200000205-add-audit-events-client-ip-key';
import { CreateAuditArchives1764200000210 } from './migrations/1764200000210-create-audit-archives';
import { AddAuditEventsProvenance1764200000220 } from './migrations/1764200000220-add-audit-events-provenance';
import { CreateAuditStreams1764200000230 } from './migrations/1764200000230-create-audit-streams';
import { CreateAuditRefusals1764200000250 } from './migrations/1764200000250-create-audit-refusals';
import { IndexAuditDetailsTrigrams1764200000251 } from './migrations/1764200000251-index-audit-details-trigrams';
import { AuditRefusalEntity } from './refusals/audit-refusal.entity';

export * from './audit-event.repository';
export * from './audit-trail.module';
export * from './audit-trail.service';
export * from './archive/archive-format';
export * from './archive/audit-archive.repository';
export * from './archive/archive-record-check';
export * from './archive/archive-settings';
export * from './chain/audit-chain';
export * from './chain/audit-checkpoint';
export * from './chain/audit-checkpoint-writer';
export * from './chain/audit-manifest';
export * from './chain/audit-trail-keys';
export * from './chain/verify-audit-chain';
export * from './event/audit-event.columns';
export * from './event/audit-event.entity';
export * from './export/export-writers';
export * from './export/trail-read-recorder';

export const AuditTrailEntities = [AuditEventEntity, AuditRefusalEntity];
export const AuditTrailMigrations = [
  CreateAuditEvents1764200000200,
  AddAuditEventsForwardedFor1764200000201,
  MakeAuditEventsAppendOnly1764200000202,
  ChainAuditEvents1764200000203,
  CreateAuditCheckpoints1764200000204,
  AddAuditEventsClientIpKey1764200000205,
  CreateAuditArchives1764200000210,
  AddAuditEventsProvenance1764200000220,
  CreateAuditStreams1764200000230,
  CreateAuditRefusals1764200000250,
  IndexAuditDetailsTrigrams1764200000251,
];
