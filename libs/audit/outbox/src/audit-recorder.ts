import { randomUUID } from 'node:crypto';

import { EntityManager } from 'typeorm';

import { CallerIdentity, clientOrigin } from '@flotilla/platform/grpc';

import { AuditOutboxRow } from './audit-outbox.entity';

export interface AuditEventInput {
  actor: CallerIdentity;
  /** e.g. "project.created", "deployment.queued", "user.login-failed" */
  action: string;
  resourceType: string;
  resourceId: string;
  /** What changed; must never contain secrets (passwords, keys, sensitive variable values). */
  details?: Record<string, unknown>;
}

/**
 * Writes audit events into the service's outbox inside the caller's transaction, so the event
 * commits exactly when the change it describes commits. A relay forwards them to the audit service.
 */
export class AuditRecorder {
  constructor(
    private readonly service: string,
    private readonly onRecorded: () => void = () => undefined,
  ) {}

  async record(manager: EntityManager, event: AuditEventInput): Promise<void> {
    // Shaped here too: an actor may be built by hand, and no header may fail the change's transaction.
    const origin = clientOrigin(event.actor.clientIp, event.actor.forwardedFor);
    const row: AuditOutboxRow = {
      id: randomUUID(),
      occurredAt: new Date(),
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
    };
    await manager.getRepository<AuditOutboxRow>(`${this.service}AuditOutbox`).insert(row);
    this.onRecorded();
  }
}
