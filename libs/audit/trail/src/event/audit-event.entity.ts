import { Column, Entity, PrimaryColumn } from 'typeorm';

import { FORWARDED_FOR_COLUMN_LENGTH } from '@flotilla/platform/grpc';

import {
  AUDIT_EVENT_LIMITS as L,
  AUDIT_EVENTS_TABLE,
  AUDIT_PROVENANCE_LIMITS as P,
} from './audit-event.columns';

/**
 * One entry of the audit trail. Append-only: the API never updates or deletes a row; each row
 * is chained to the one before it (chain/audit-chain.ts). Rows leave only once the archiver has
 * moved them into a signed archive (archive/).
 */
@Entity(AUDIT_EVENTS_TABLE)
export class AuditEventEntity {
  /** The producer's UUID, so a resent event is recognised. */
  @PrimaryColumn({ type: 'varchar', length: L.id })
  id!: string;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt!: Date;

  /** When the audit service stored it, from the database clock. */
  @Column({ name: 'recorded_at', type: Date })
  recordedAt!: Date;

  @Column({ name: 'actor_id', type: 'varchar', length: L.actorId })
  actorId!: string;

  @Column({ name: 'actor_name', type: 'varchar', length: L.actorName })
  actorName!: string;

  @Column({ type: 'varchar', length: L.action })
  action!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: L.resourceType })
  resourceType!: string;

  @Column({ name: 'resource_id', type: 'varchar', length: L.resourceId })
  resourceId!: string;

  /** JSON object text. */
  @Column({ type: 'text' })
  details!: string;

  @Column({ name: 'client_ip', type: 'varchar', length: L.clientIp })
  clientIp!: string;

  @Column({ type: 'varchar', length: L.source })
  source!: string;

  /** The raw X-Forwarded-For, bounded; '' for none (and for events stored before it existed). */
  // Not in AUDIT_EVENT_LIMITS: a longer value is cut (boundForwardedFor), never refused — it is raw
  // client text and the event must stay.
  @Column({ name: 'forwarded_for', type: 'varchar', length: FORWARDED_FOR_COLUMN_LENGTH, default: '' })
  forwardedFor!: string;

  /** The client address as a fixed-width key for the CIDR filter; NULL before it existed. */
  @Column({ name: 'client_ip_key', type: 'varchar', length: 32, nullable: true })
  clientIpKey!: string | null;

  // Provenance (migration 1764200000220): '' for events stored before it.
  @Column({ name: 'sign_in_method', type: 'varchar', length: P.signInMethod, default: '' })
  signInMethod!: string;

  @Column({ name: 'api_key_id', type: 'varchar', length: P.apiKeyId, default: '' })
  apiKeyId!: string;

  @Column({ name: 'socket_peer', type: 'varchar', length: P.socketPeer, default: '' })
  socketPeer!: string;

  @Column({ name: 'node_name', type: 'varchar', length: P.nodeName, default: '' })
  nodeName!: string;

  @Column({ name: 'request_id', type: 'varchar', length: P.requestId, default: '' })
  requestId!: string;

  @Column({ type: 'varchar', length: P.outcome, default: '' })
  outcome!: string;

  @Column({ name: 'project_id', type: 'varchar', length: P.projectId, default: '' })
  projectId!: string;

  @Column({ name: 'environment_id', type: 'varchar', length: P.environmentId, default: '' })
  environmentId!: string;

  /** Which fields its link covers (chain/audit-chain.ts): 1 before the provenance columns, 2 since. */
  @Column({ name: 'link_version', type: 'smallint', default: 1 })
  linkVersion!: number;

  /** Its number in the chain (1, 2, 3, …); NULL for events stored before the chain began. */
  @Column({ name: 'sequence_number', type: 'bigint', nullable: true })
  sequenceNumber!: string | null;

  /** HMAC-SHA256 (hex) of the previous link and this event; NULL before the chain began. */
  @Column({ name: 'chain_hash', type: 'varchar', length: 64, nullable: true })
  chainHash!: string | null;
}
