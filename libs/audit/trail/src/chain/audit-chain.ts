import { createHmac } from 'node:crypto';

import { AUDIT_PROVENANCE_FIELDS, type AuditEventRow } from '../event/audit-event.columns';
import { addressKey } from '../query/address-key';

/** The link before the first event: the chain starts from 64 zeros. */
export const GENESIS_LINK = '0'.repeat(64);

/**
 * Which fields a link covers. 1: the fields stored before migration 1764200000220 (the events
 * stored before it keep verifying as they were linked). 2: those, then the provenance fields
 * (AUDIT_PROVENANCE_FIELDS) and the version itself; every event linked since is version 2, so
 * setting a new event's version back to 1 changes what its link must be and breaks it.
 */
export const LINK_VERSIONS = [1, 2] as const;
export type LinkVersion = (typeof LINK_VERSIONS)[number];
export const CURRENT_LINK_VERSION: LinkVersion = 2;

/** An event with its place in the chain: its sequence number and the link that ends at it. */
export interface ChainedAuditEvent extends AuditEventRow {
  /**
   * The client address as a fixed-width key (query/address-key.ts), '' when none: what the client
   * IP and CIDR filter search. Linked like every other column, so editing it to hide an event
   * from a search breaks the chain.
   */
  clientIpKey: string;
  /** 1, 2, 3, … with no gap: a missing number is a removed event. */
  sequence: number;
  /** When the trail stored it, from the database clock (part of what the link covers). */
  recordedAt: Date;
  /** HMAC-SHA256 (hex) of the previous link and this event, keyed with the cluster's chain key. */
  chainHash: string;
  /**
   * Which fields its link covers (LINK_VERSIONS); as stored in `link_version`. Absent reads as 1
   * (an event read from a file written before the field existed).
   */
  linkVersion?: number;
}

export type UnlinkedAuditEvent = Omit<ChainedAuditEvent, 'chainHash'>;

/**
 * The fields a link of `event`'s version covers, in the order of the insert's columns
 * (sql/audit-trail-sql.ts INSERT_COLUMNS, whose version-2 columns are exactly these values then the
 * link), timestamps as ISO text at millisecond precision, as both databases store them here.
 * Version 1: the fields stored before the provenance columns. Version 2: those, the provenance
 * fields and the version. Any other version links nothing: it cannot verify.
 */
export function chainedFieldValues(event: UnlinkedAuditEvent): (string | number)[] {
  const version = event.linkVersion ?? 1;
  const v1 = [
    event.id,
    event.occurredAt.toISOString(),
    event.actorId,
    event.actorName,
    event.action,
    event.resourceType,
    event.resourceId,
    event.details,
    event.clientIp,
    event.source,
    event.forwardedFor,
    event.clientIpKey,
    event.recordedAt.toISOString(),
    event.sequence,
  ];
  if (version === 1) return v1;
  if (version !== 2) throw new Error(`audit event ${event.id}: unknown link version ${version}`);
  return [...v1, ...AUDIT_PROVENANCE_FIELDS.map((field) => event[field]), version];
}

/** The bytes a link covers: chainedFieldValues as JSON, so no value can run into the next. */
export function canonicalAuditEvent(event: UnlinkedAuditEvent): string {
  return JSON.stringify(chainedFieldValues(event));
}

/**
 * The link of `event` after `previousLink`. Keyed, so someone who can write to the database but
 * does not hold the key cannot compute the links of an edited, inserted or re-numbered event.
 */
export function auditChainLink(key: Buffer, previousLink: string, event: UnlinkedAuditEvent): string {
  const version = event.linkVersion ?? 1;
  // An unknown version (a stored value edited to 7) is no link at all: verification reports the event.
  if (!(LINK_VERSIONS as readonly number[]).includes(version)) return '';
  return createHmac('sha256', key)
    .update(`${previousLink}\n${canonicalAuditEvent(event)}`)
    .digest('hex');
}

/** Chains `events` (in the order given) after `head`, at the current link version; returns them with sequence and link. */
export function chainAuditEvents(
  key: Buffer,
  head: { sequence: number; link: string },
  events: readonly AuditEventRow[],
  recordedAt: Date,
): ChainedAuditEvent[] {
  let link = head.link;
  return events.map((event, index) => {
    const unlinked: UnlinkedAuditEvent = {
      ...event,
      clientIpKey: addressKey(event.clientIp),
      sequence: head.sequence + index + 1,
      recordedAt,
      linkVersion: CURRENT_LINK_VERSION,
    };
    link = auditChainLink(key, link, unlinked);
    return { ...unlinked, chainHash: link };
  });
}
