import { timeout } from 'rxjs';

import type { auditV1 } from '@flotilla/contracts';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';

/** How long the health document waits for the audit service's answer about its destinations. */
export const AUDIT_STREAMS_HEALTH_TIMEOUT_MS = 3000;

/**
 * ok: nothing waits, or what waits is younger than LAGGING_MS. failing: the last delivery failed.
 * lagging: events wait longer than LAGGING_MS with no error (a slow destination, or nobody holds
 * the lease). disabled: switched off (its backlog grows). Never part of the load balancer's ping:
 * a SIEM outage must not take nodes out.
 */
export type AuditStreamHealthState = 'ok' | 'lagging' | 'failing' | 'disabled';

export const LAGGING_MS = 60_000;

export interface AuditStreamHealth {
  id: string;
  name: string;
  kind: string;
  target: string;
  state: AuditStreamHealthState;
  /** One line for an operator. */
  message: string;
  /** Events after the cursor. */
  backlog: number;
  cursorSequence: number;
  headSequence: number;
  /** Age of the oldest undelivered event (0 when none waits), and when it was stored. */
  lagMs: number;
  oldestUndeliveredAt?: string;
  /** The last acknowledged delivery, and how long ago (database time). */
  lastDeliveredAt?: string;
  sinceLastDeliveryMs?: number;
  lastError?: string;
  lastErrorAt?: string;
  /** The node delivering it now; absent when no node holds its lease. */
  deliveredBy?: string;
}

/** The whole section: the destinations, or why they could not be read. */
export interface AuditStreamsHealth {
  state: 'ok' | 'degraded' | 'unknown';
  message: string;
  destinations: AuditStreamHealth[];
}

function destinationHealth(stream: auditV1.AuditStream): AuditStreamHealth {
  const d = stream.delivery;
  const checkedAt = d?.checkedAt ? Date.parse(d.checkedAt) : Date.now();
  const backlog = d?.backlog ?? 0;
  const lagMs = d?.lagMs ?? 0;
  const state: AuditStreamHealthState = !stream.enabled
    ? 'disabled'
    : d?.lastError
      ? 'failing'
      : lagMs > LAGGING_MS
        ? 'lagging'
        : 'ok';
  const waiting =
    backlog > 0 ? `${backlog} events wait, the oldest for ${Math.round(lagMs / 1000)} s` : 'nothing waits';
  const message = {
    disabled: `Disabled; ${waiting}`,
    failing: `Delivery failing: ${d?.lastError ?? ''}; ${waiting}`,
    lagging: `Behind: ${waiting}${d?.deliveredBy ? '' : ', and no node delivers it'}`,
    ok: `Delivering; ${waiting}`,
  }[state];
  return {
    id: stream.id,
    name: stream.name,
    kind: stream.kind,
    target: stream.target,
    state,
    message,
    backlog,
    cursorSequence: d?.cursorSequence ?? 0,
    headSequence: d?.headSequence ?? 0,
    lagMs,
    ...(d?.oldestUndeliveredAt ? { oldestUndeliveredAt: d.oldestUndeliveredAt } : {}),
    ...(d?.deliveredAt
      ? {
          lastDeliveredAt: d.deliveredAt,
          sinceLastDeliveryMs: Math.max(0, checkedAt - Date.parse(d.deliveredAt)),
        }
      : {}),
    ...(d?.lastError ? { lastError: d.lastError, lastErrorAt: d.lastErrorAt } : {}),
    ...(d?.deliveredBy ? { deliveredBy: d.deliveredBy } : {}),
  };
}

export function auditStreamsHealth(list: auditV1.AuditStreamList): AuditStreamsHealth {
  const destinations = list.items.map(destinationHealth);
  const troubled = destinations.filter((d) => d.state === 'failing' || d.state === 'lagging');
  return {
    state: troubled.length > 0 ? 'degraded' : 'ok',
    message:
      destinations.length === 0
        ? 'No streaming destination is configured'
        : troubled.length > 0
          ? `${troubled.length} of ${destinations.length} destinations behind or failing: ${troubled.map((d) => d.name).join(', ')}`
          : `${destinations.length} destinations delivering`,
    destinations,
  };
}

/** The destinations' delivery for GET /api/health/diagnostics; a warning, never a failure of it. */
export async function readAuditStreamsHealth(
  backends: Pick<BackendClients, 'audit'> | undefined,
  caller: CallerIdentity,
): Promise<AuditStreamsHealth> {
  const unknown = (reason: string): AuditStreamsHealth => ({
    state: 'unknown',
    message: `The audit streams' status is unavailable: ${reason}`,
    destinations: [],
  });
  if (!backends) return unknown('no audit client');
  try {
    const list = await unary(
      backends.audit
        .listStreams({}, identityToMetadata(caller))
        .pipe(timeout({ first: AUDIT_STREAMS_HEALTH_TIMEOUT_MS })),
    );
    return auditStreamsHealth(list);
  } catch (error) {
    return unknown(error instanceof Error ? error.message : String(error));
  }
}
