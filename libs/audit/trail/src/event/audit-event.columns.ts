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
  clientIp: 64,
  source: 50,
} as const;

export const AUDIT_EVENTS_TABLE = 'audit_events';

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
  clientIp: string;
  source: string;
}
