import type { auditV1 } from '@flotilla/contracts';

/**
 * ok: nothing refused and the newest checkpoint is on time. attention: an event was refused (a
 * producer's bug: the event sits parked in its outbox, outside the trail) or checkpoints are late
 * (no audit service is signing them). unknown: the audit service did not answer. Never part of
 * the load balancer's ping: an audit problem must not take nodes out.
 */
export type AuditTrailHealthState = 'ok' | 'attention' | 'unknown';

/** The trail as GET /api/health/diagnostics reports it to reviewers and operators. */
export interface AuditTrailHealth {
  state: AuditTrailHealthState;
  /** One line for an operator: what is wrong and where to look, or that all is well. */
  message: string;
  refusedEvents?: number;
  newestRefusal?: auditV1.AuditRefusal;
  headSequence?: number;
  newestCheckpointSignedAt?: string;
  /** The newest checkpoint is older than twice the interval (verification would report it too). */
  checkpointsLate?: boolean;
}

/** The same bound verification applies: a newest checkpoint older than this many intervals. */
export const LATE_CHECKPOINT_INTERVALS = 2;

export function auditTrailHealth(health: auditV1.TrailHealth): AuditTrailHealth {
  const refusedEvents = Number(health.refusedEvents);
  const headSequence = Number(health.headSequence);
  const signedAt = health.newestCheckpointSignedAt;
  const ageMs = signedAt ? Date.parse(health.checkedAt) - Date.parse(signedAt) : Infinity;
  const checkpointsLate = ageMs > LATE_CHECKPOINT_INTERVALS * Number(health.checkpointIntervalMs);
  const problems: string[] = [];
  if (refusedEvents > 0) {
    const newest = health.newestRefusal;
    problems.push(
      `${refusedEvents} event(s) refused by the audit service and parked in their producer's outbox` +
        (newest ? `; newest: ${newest.action} from ${newest.source} (${newest.reason})` : ''),
    );
  }
  if (checkpointsLate) {
    problems.push(
      signedAt
        ? `the newest signed checkpoint (${signedAt}) is older than ${LATE_CHECKPOINT_INTERVALS} intervals: is an audit service running?`
        : 'no signed checkpoint yet: is an audit service running?',
    );
  }
  return {
    state: problems.length > 0 ? 'attention' : 'ok',
    message: problems.length > 0 ? problems.join('; ') : 'Nothing refused; checkpoints on time',
    refusedEvents,
    ...(health.newestRefusal ? { newestRefusal: health.newestRefusal } : {}),
    headSequence,
    ...(signedAt ? { newestCheckpointSignedAt: signedAt } : {}),
    checkpointsLate,
  };
}

export function unknownAuditTrailHealth(reason: string): AuditTrailHealth {
  return { state: 'unknown', message: `The audit service did not answer: ${reason}` };
}
