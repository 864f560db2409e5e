import type { PageQuery } from './common';

export interface AuditEvent {
  id: string;
  /** ISO-8601 */
  occurredAt: string;
  actorId: string;
  actorName: string;
  /** e.g. "project.created", "user.login-failed", "deployment.queued" */
  action: string;
  resourceType: string;
  resourceId: string;
  /** JSON object with what changed; never contains secrets. */
  details: string;
  clientIp: string;
  /** The service that produced the event. */
  source: string;
}

export interface ListEventsQuery extends PageQuery {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** ISO-8601, inclusive. */
  from?: string;
  /** ISO-8601, exclusive. */
  to?: string;
}

export interface EventPage {
  items: AuditEvent[];
  total: number;
  skip: number;
  take: number;
}
