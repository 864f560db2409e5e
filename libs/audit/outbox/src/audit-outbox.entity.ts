import { EntitySchema } from 'typeorm';

import { CLIENT_IP_COLUMN_LENGTH, FORWARDED_FOR_COLUMN_LENGTH } from '@flotilla/platform/grpc';

import { AuditProvenance, PROVENANCE_LIMITS } from './audit-provenance';

/** An audit event waiting in its producer's database to be relayed to the audit service. */
export interface AuditOutboxRow extends AuditProvenance {
  id: string;
  occurredAt: Date;
  actorId: string;
  actorName: string;
  action: string;
  resourceType: string;
  resourceId: string;
  details: string;
  /** A valid address or '' (clientOrigin). */
  clientIp: string;
  /** The raw X-Forwarded-For, bounded (boundForwardedFor); '' if none. */
  forwardedFor: string;
  source: string;
  attempts: number;
}

/**
 * Each service owns its own outbox table (`<service>_audit_outbox`), written in the same
 * transaction as the change it describes, so an event is never lost when the action succeeded.
 */
export function auditOutboxEntity(service: string): EntitySchema<AuditOutboxRow> {
  return new EntitySchema<AuditOutboxRow>({
    name: `${service}AuditOutbox`,
    tableName: auditOutboxTable(service),
    columns: {
      id: { type: 'varchar', length: 36, primary: true },
      occurredAt: { name: 'occurred_at', type: Date },
      actorId: { name: 'actor_id', type: 'varchar', length: 200 },
      actorName: { name: 'actor_name', type: 'varchar', length: 200 },
      action: { type: 'varchar', length: 100 },
      resourceType: { name: 'resource_type', type: 'varchar', length: 100 },
      resourceId: { name: 'resource_id', type: 'varchar', length: 200 },
      details: { type: 'text' },
      clientIp: { name: 'client_ip', type: 'varchar', length: CLIENT_IP_COLUMN_LENGTH },
      source: { type: 'varchar', length: 50 },
      attempts: { type: 'int', default: 0 },
      // Added by addAuditOutboxForwardedFor; '' for rows an older producer wrote.
      forwardedFor: {
        name: 'forwarded_for',
        type: 'varchar',
        length: FORWARDED_FOR_COLUMN_LENGTH,
        default: '',
      },
      // Added by addAuditOutboxProvenance; '' for rows an older producer wrote.
      ...provenanceColumns(),
    },
  });
}

export function auditOutboxTable(service: string): string {
  return `${service.replace(/-/g, '_')}_audit_outbox`;
}

/** The provenance columns (snake_case names), NOT NULL with a '' default. */
function provenanceColumns(): Record<
  keyof AuditProvenance,
  { name: string; type: 'varchar'; length: number; default: string }
> {
  const columns = {} as Record<
    keyof AuditProvenance,
    { name: string; type: 'varchar'; length: number; default: string }
  >;
  for (const [field, length] of Object.entries(PROVENANCE_LIMITS) as [keyof AuditProvenance, number][]) {
    columns[field] = { name: provenanceColumnName(field), type: 'varchar', length, default: '' };
  }
  return columns;
}

/** `signInMethod` → `sign_in_method`. */
export function provenanceColumnName(field: keyof AuditProvenance): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
