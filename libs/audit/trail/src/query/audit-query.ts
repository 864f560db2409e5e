import type { auditV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';

import { AUDIT_OUTCOMES, type AuditOutcome } from '@flotilla/audit/outbox';

import { AUDIT_PROVENANCE_LIMITS } from '../event/audit-event.columns';
import { parseIsoTimestamp } from '../event/iso-timestamp';
import { AddressKeyRange, addressKeyRange } from './address-key';
import { AuditCursor, decodeAuditCursor } from './audit-cursor';

export const DEFAULT_TAKE = 30;
export const MAX_TAKE = 500;

/** What the caller asked for, checked and normalised; empty filters are absent. */
export interface AuditQuery {
  /** Matches actor_id exactly or actor_name without case. */
  actor?: string;
  action?: { exact: string } | { prefix: string };
  resourceType?: string;
  resourceId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** The client address, or a CIDR block, as a range of address keys. */
  clientIp?: AddressKeyRange;
  /** Text anywhere in the details, case significant. */
  text?: string;
  /** `success`, `failure` or `refused`. */
  outcome?: AuditOutcome;
  /** Exact matches. */
  requestId?: string;
  projectId?: string;
  environmentId?: string;
  /** Keyset paging: only events after this one in the page order (newest first). */
  after?: AuditCursor;
  take: number;
}

/** Longest text filter: details are JSON of what changed, a search needs far less. */
export const MAX_TEXT_FILTER = 200;

function optional(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function timestamp(field: 'from' | 'to', value: string): Date | undefined {
  const text = optional(value);
  if (text === undefined) return undefined;
  const parsed = parseIsoTimestamp(text);
  if (!parsed)
    throw RpcErrors.invalidArgument(`${field}: must be an ISO-8601 date or timestamp with a time zone`);
  return parsed;
}

/** `project.*` is a prefix filter, anything else an exact action; a lone `*` filters nothing. */
function actionFilter(value: string): AuditQuery['action'] {
  const text = optional(value);
  if (text === undefined) return undefined;
  if (!text.endsWith('*')) return { exact: text };
  const prefix = text.slice(0, -1);
  return prefix === '' ? undefined : { prefix };
}

function clientIpFilter(value: string): AddressKeyRange | undefined {
  const text = optional(value);
  if (text === undefined) return undefined;
  const range = addressKeyRange(text);
  if (!range)
    throw RpcErrors.invalidArgument(
      'clientIp: must be an IPv4 or IPv6 address or a CIDR block (10.1.0.0/16)',
    );
  return range;
}

function textFilter(value: string): string | undefined {
  const text = optional(value);
  if (text !== undefined && text.length > MAX_TEXT_FILTER)
    throw RpcErrors.invalidArgument(`text: at most ${MAX_TEXT_FILTER} characters`);
  return text;
}

function outcomeFilter(value: string): AuditOutcome | undefined {
  const text = optional(value);
  if (text === undefined) return undefined;
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(text))
    throw RpcErrors.invalidArgument(`outcome: must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  return text as AuditOutcome;
}

/** An exact-match id filter: longer than its column can hold finds nothing, so it is refused. */
function idFilter(field: 'requestId' | 'projectId' | 'environmentId', value: string): string | undefined {
  const text = optional(value);
  const limit = AUDIT_PROVENANCE_LIMITS[field];
  if (text !== undefined && text.length > limit)
    throw RpcErrors.invalidArgument(`${field}: at most ${limit} characters`);
  return text;
}

/** A Query request with no filter: every field of the message, empty (proto3's defaults). */
export function emptyQueryRequest(): auditV1.QueryEventsRequest {
  return {
    actor: '',
    action: '',
    resourceType: '',
    resourceId: '',
    from: '',
    to: '',
    take: 0,
    after: '',
    clientIp: '',
    text: '',
    outcome: '',
    requestId: '',
    projectId: '',
    environmentId: '',
  };
}

/**
 * Checks a Query request: bad timestamps, addresses or cursors, or a negative take are
 * INVALID_ARGUMENT; take 0 (not sent) means the default, and more than the maximum is capped (the
 * reply says what was used). Pages follow each other by cursor (keyset), never by offset.
 */
export function parseAuditQuery(request: auditV1.QueryEventsRequest): AuditQuery {
  if (!Number.isInteger(request.take) || request.take < 0)
    throw RpcErrors.invalidArgument('take: must be 0 or more');
  const from = timestamp('from', request.from);
  const to = timestamp('to', request.to);
  if (from && to && from.getTime() > to.getTime())
    throw RpcErrors.invalidArgument('from: must not be after to');
  return {
    actor: optional(request.actor),
    action: actionFilter(request.action),
    resourceType: optional(request.resourceType),
    resourceId: optional(request.resourceId),
    from,
    to,
    clientIp: clientIpFilter(request.clientIp),
    text: textFilter(request.text),
    outcome: outcomeFilter(request.outcome),
    requestId: idFilter('requestId', request.requestId),
    projectId: idFilter('projectId', request.projectId),
    environmentId: idFilter('environmentId', request.environmentId),
    after: optional(request.after) === undefined ? undefined : decodeAuditCursor(request.after.trim()),
    take: request.take === 0 ? DEFAULT_TAKE : Math.min(request.take, MAX_TAKE),
  };
}
