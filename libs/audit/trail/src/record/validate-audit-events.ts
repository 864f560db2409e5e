import type { auditV1 } from '@flotilla/contracts';
import { AUDIT_OUTCOMES } from '@flotilla/audit/outbox';
import {
  canonicalPeerAddress,
  clientOrigin,
  RpcErrors,
  shapedProvenance,
  validRequestId,
} from '@flotilla/platform/grpc';

import { AUDIT_EVENT_LIMITS, AUDIT_PROVENANCE_LIMITS, AuditEventRow } from '../event/audit-event.columns';
import { parseIsoTimestamp } from '../event/iso-timestamp';

/** A relay sends at most 200 at a time; the cap keeps one call's transaction bounded. */
export const MAX_EVENTS_PER_RECORD = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The client IP is shaped, not refused (see validateAuditEvent); every other sized field is refused when too long. */
type BoundedField = Exclude<keyof typeof AUDIT_EVENT_LIMITS, 'id' | 'clientIp'>;
const BOUNDED_FIELDS = (Object.keys(AUDIT_EVENT_LIMITS) as (keyof typeof AUDIT_EVENT_LIMITS)[]).filter(
  (field): field is BoundedField => field !== 'id' && field !== 'clientIp',
);
const REQUIRED_FIELDS: readonly BoundedField[] = ['action', 'resourceType'];

function invalid(index: number, field: string, problem: string): never {
  throw RpcErrors.invalidArgument(`events[${index}].${field}: ${problem}`);
}

/** Details must be a JSON object (what changed); an absent value is stored as `{}`. */
function validDetails(index: number, details: string): string {
  if (details.trim() === '') return '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    invalid(index, 'details', 'must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    invalid(index, 'details', 'must be a JSON object');
  }
  return details;
}

/** Free-text provenance from the producer's own code: refused when too long or with NUL, like the fields above. */
const TEXT_PROVENANCE = ['nodeName', 'projectId', 'environmentId'] as const;

/**
 * The provenance to store. Shaped, never refused (the origin rule: a parked sign-in failure is an
 * attempt gone from the trail): an unknown sign-in method, outcome or a malformed key id, peer or
 * request id is stored as ''. The node, project and environment come from the producer's code and
 * are refused like any other field when too long.
 */
function provenance(
  event: auditV1.AuditEvent,
  index: number,
): Pick<
  AuditEventRow,
  | 'signInMethod'
  | 'apiKeyId'
  | 'socketPeer'
  | 'nodeName'
  | 'requestId'
  | 'outcome'
  | 'projectId'
  | 'environmentId'
> {
  for (const field of TEXT_PROVENANCE) {
    const limit = AUDIT_PROVENANCE_LIMITS[field];
    if (event[field].length > limit) invalid(index, field, `must be at most ${limit} characters`);
    if (event[field].includes('\u0000')) invalid(index, field, 'must not contain NUL characters');
  }
  const shaped = shapedProvenance(event);
  return {
    signInMethod: shaped.signInMethod ?? '',
    apiKeyId: shaped.apiKeyId ?? '',
    socketPeer: canonicalPeerAddress(event.socketPeer),
    nodeName: event.nodeName,
    requestId: validRequestId(event.requestId) ?? '',
    outcome: (AUDIT_OUTCOMES as readonly string[]).includes(event.outcome) ? event.outcome : '',
    projectId: event.projectId,
    environmentId: event.environmentId,
  };
}

/**
 * Checks one event and turns it into the row to store, or throws INVALID_ARGUMENT naming the
 * first bad field (`events[3].occurredAt: ...`). Ids are lower-cased so one event sent with
 * differently cased ids is still recognised as the same.
 *
 * The origin is client-controlled text, so it never refuses an event: refusing parks it, and a
 * parked `user.login-failed` is an attempt gone from the trail. A client IP that is not an
 * address (an older producer stored X-Forwarded-For text there) is stored as '' and the text is
 * kept in forwardedFor when the producer sent none; forwardedFor is cut to its bound.
 */
export function validateAuditEvent(event: auditV1.AuditEvent, index: number): AuditEventRow {
  if (!UUID.test(event.id)) invalid(index, 'id', 'must be a UUID');
  const occurredAt = parseIsoTimestamp(event.occurredAt);
  if (!occurredAt) invalid(index, 'occurredAt', 'must be an ISO-8601 timestamp with a time zone');
  for (const field of REQUIRED_FIELDS) {
    if (event[field].trim() === '') invalid(index, field, 'must not be empty');
  }
  for (const field of BOUNDED_FIELDS) {
    const limit = AUDIT_EVENT_LIMITS[field];
    if (event[field].length > limit) invalid(index, field, `must be at most ${limit} characters`);
  }
  // PostgreSQL text cannot hold NUL; refusing it here keeps it a clear 400 rather than a driver error.
  for (const field of [...BOUNDED_FIELDS, 'details'] as const) {
    if (event[field].includes('\u0000')) invalid(index, field, 'must not contain NUL characters');
  }
  const origin = clientOrigin(event.clientIp, event.forwardedFor);
  return {
    id: event.id.toLowerCase(),
    occurredAt,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    details: validDetails(index, event.details),
    clientIp: origin.clientIp,
    source: event.source,
    forwardedFor: origin.forwardedFor,
    ...provenance(event, index),
  };
}

export function validateAuditEvents(events: readonly auditV1.AuditEvent[]): AuditEventRow[] {
  if (events.length > MAX_EVENTS_PER_RECORD) {
    throw RpcErrors.invalidArgument(
      `events: at most ${MAX_EVENTS_PER_RECORD} per call, got ${events.length}`,
    );
  }
  return events.map((event, index) => validateAuditEvent(event, index));
}
