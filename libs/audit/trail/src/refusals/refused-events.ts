import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { auditV1 } from '@flotilla/contracts';
import { rpcErrorDetails } from '@flotilla/platform/grpc';

import { MAX_EVENTS_PER_RECORD, validateAuditEvent } from '../record/validate-audit-events';

/** An event the audit service will not store, and why (`details: must be a JSON object`). */
export interface RefusedEvent {
  event: auditV1.AuditEvent;
  reason: string;
}

/** The code and message of an error thrown in this process (Nest's RpcException) or received. */
function errorDetails(error: unknown): { code?: status; message: string } {
  const details = rpcErrorDetails(error instanceof RpcException ? error.getError() : error);
  return details ?? { message: error instanceof Error ? error.message : String(error) };
}

/** Whether Record refused what it was sent (rather than failing, e.g. with the database down). */
export function isRefusal(error: unknown): boolean {
  return errorDetails(error).code === status.INVALID_ARGUMENT;
}

/**
 * The events of a refused Record call that are refused on their own. A batch is refused whole
 * (nothing stored when one is bad); the relay then sends them one by one, so the good ones get
 * through and the bad ones are parked in its outbox — these are the ones to remember. A call over
 * the size cap names no event: the batch is wrong, not an event.
 */
export function refusedEvents(events: readonly auditV1.AuditEvent[]): RefusedEvent[] {
  if (events.length > MAX_EVENTS_PER_RECORD) return [];
  const refused: RefusedEvent[] = [];
  for (const event of events) {
    try {
      validateAuditEvent(event, 0);
    } catch (error) {
      refused.push({ event, reason: errorDetails(error).message.replace(/^events\[0\]\./, '') });
    }
  }
  return refused;
}
