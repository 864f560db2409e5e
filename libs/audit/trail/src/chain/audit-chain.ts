import { createHmac } from 'node:crypto';

import type { AuditEventRow } from '../event/audit-event.columns';
import { addressKey } from '../query/address-key';

/** The link before the first event: the chain starts from 64 zeros. */
export const GENESIS_LINK = '0'.repeat(64);

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
}

export type UnlinkedAuditEvent = Omit<ChainedAuditEvent, 'chainHash'>;

/**
 * Every stored field of an event but its link, in the order of the insert's columns
 * (sql/audit-trail-sql.ts INSERT_COLUMNS), timestamps as ISO text at millisecond precision, as both
 * databases store them here. The link covers exactly these values; the insert writes them.
 */
export function chainedFieldValues(event: UnlinkedAuditEvent): (string | number)[] {
  return [
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
  return createHmac('sha256', key)
    .update(`${previousLink}\n${canonicalAuditEvent(event)}`)
    .digest('hex');
}

/** Chains `events` (in the order given) after `head`; returns them with sequence and link. */
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
    };
    link = auditChainLink(key, link, unlinked);
    return { ...unlinked, chainHash: link };
  });
}
