import { CLIENT_IP_COLUMN_LENGTH } from '@flotilla/platform/grpc';

/**
 * Column sizes of `audit_events`, shared by the entity, the migration and input validation so a
 * value that passes validation always fits. They match the producers' outbox columns.
 */
export const AUDIT_EVENT_LIMITS = {
  id: 36,
  actorId: 200,
  actorName: 200,
  action: 100,
  resourceType: 100,
  resourceId: 200,
  clientIp: CLIENT_IP_COLUMN_LENGTH,
  source: 50,
} as const;

export const AUDIT_EVENTS_TABLE = 'audit_events';
/** One row: the last sequence number and link of the chain (see chain/audit-chain.ts). */
export const AUDIT_CHAIN_HEAD_TABLE = 'audit_chain_head';
/** Signed checkpoints of the chain (see chain/audit-checkpoint.ts). */
export const AUDIT_CHECKPOINTS_TABLE = 'audit_checkpoints';

/** A validated event as stored (details is JSON text of an object). */
export interface AuditEventRow {
  id: string;
  occurredAt: Date;
  actorId: string;
  actorName: string;
  action: string;
  resourceType: string;
  resourceId: string;
  details: string;
  /** A valid IPv4/IPv6 address in canonical form, or ''. */
  clientIp: string;
  source: string;
  /** The raw X-Forwarded-For, bounded; '' if none. */
  forwardedFor: string;
}
