import { PROVENANCE_LIMITS } from '@flotilla/audit/outbox';
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

/**
 * Who and from where beyond the client IP, and what the event concerns, as the outboxes hold
 * them (same sizes). Each '' when unknown and for events stored before migration 1764200000220.
 */
export const AUDIT_PROVENANCE_FIELDS = [
  'signInMethod',
  'apiKeyId',
  'socketPeer',
  'nodeName',
  'requestId',
  'outcome',
  'projectId',
  'environmentId',
] as const;
export type AuditProvenanceField = (typeof AUDIT_PROVENANCE_FIELDS)[number];
export const AUDIT_PROVENANCE_LIMITS: Readonly<Record<AuditProvenanceField, number>> = PROVENANCE_LIMITS;

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
  /** `password`, `directory`, `api-key`, `service` or ''. */
  signInMethod: string;
  apiKeyId: string;
  /** The TCP peer the gateway saw (canonical address), or ''. */
  socketPeer: string;
  nodeName: string;
  requestId: string;
  /** `success`, `failure`, `refused` or '' (events stored before it was recorded). */
  outcome: string;
  projectId: string;
  environmentId: string;
}
