import { randomUUID } from 'node:crypto';

import { EntityManager } from 'typeorm';

import { CallerIdentity, clientOrigin } from '@flotilla/platform/grpc';
import { dialectOf } from '@flotilla/platform/persistence';

import { AuditOutboxRow } from './audit-outbox.entity';
import { AuditOutcome, defaultNodeName, provenanceOf } from './audit-provenance';

export interface AuditEventInput {
  actor: CallerIdentity;
  /** e.g. "project.created", "deployment.queued", "user.login-failed" */
  action: string;
  resourceType: string;
  resourceId: string;
  /** What changed; must never contain secrets (passwords, keys, sensitive variable values). */
  details?: Record<string, unknown>;
  /** Default: what the action's name implies (`*-failed` a failure, `*-refused` a refusal, else success). */
  outcome?: AuditOutcome;
  /** The project the event concerns; default: the resource itself when it is a Project. */
  projectId?: string;
  /** The environment the event concerns; default: the resource itself when it is an Environment. */
  environmentId?: string;
}

/**
 * The database's clock as the insert evaluates it: every node of a cluster stamps its events from
 * the one clock they share, never its own. clock_timestamp(), not CURRENT_TIMESTAMP (the start of
 * the transaction), so events of one transaction keep the order they were recorded in.
 */
const DATABASE_NOW = { postgres: 'clock_timestamp()', mssql: 'SYSUTCDATETIME()' } as const;

/**
 * Writes audit events into the service's outbox inside the caller's transaction, so the event
 * commits exactly when the change it describes commits. A relay forwards them to the audit service.
 */
export class AuditRecorder {
  constructor(
    private readonly service: string,
    private readonly onRecorded: () => void = () => undefined,
    /** The node the event is recorded on (FLOTILLA_NODE_NAME). */
    private readonly nodeName: string = defaultNodeName(),
  ) {}

  async record(manager: EntityManager, event: AuditEventInput): Promise<void> {
    // Shaped here too: an actor may be built by hand, and no header may fail the change's transaction.
    const origin = clientOrigin(event.actor.clientIp, event.actor.forwardedFor);
    const now = DATABASE_NOW[dialectOf(manager.connection)];
    const row: Omit<AuditOutboxRow, 'occurredAt'> & { occurredAt: () => string } = {
      id: randomUUID(),
      occurredAt: () => now,
      actorId: event.actor.userId || 'anonymous',
      actorName: event.actor.username || 'anonymous',
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId,
      details: JSON.stringify(event.details ?? {}),
      clientIp: origin.clientIp,
      forwardedFor: origin.forwardedFor,
      source: this.service,
      attempts: 0,
      ...provenanceOf(event.actor, event, this.nodeName),
    };
    await manager.getRepository<AuditOutboxRow>(`${this.service}AuditOutbox`).insert(row);
    this.onRecorded();
  }
}
