import type { authV1 } from '@flotilla/contracts';

/**
 * ok: the last pass read the directory and is not overdue. degraded: the last pass aborted (the
 * directory unreachable or answering errors: nobody was changed) or no pass ran for too long.
 * pending: no pass yet. not-configured: no directory. unknown: auth did not answer the question.
 * Never part of the load balancer's ping: a directory outage must not take nodes out.
 */
export type DirectorySyncHealthState = 'ok' | 'degraded' | 'pending' | 'not-configured' | 'unknown';

/** The directory sync's last pass in the cluster, as GET /api/health/diagnostics reports it. */
export interface DirectorySyncHealth {
  state: DirectorySyncHealthState;
  /** One line for an operator. */
  message: string;
  /** The last pass: ok, or aborted (with `reason`). Absent before the first. */
  outcome?: 'ok' | 'aborted';
  reason?: string;
  /** ISO times of the last pass and of the last one that read the directory. */
  lastPassAt?: string;
  lastSuccessAt?: string;
  /** No pass for longer than OVERDUE_INTERVALS intervals: no node is running the sync. */
  overdue: boolean;
  directoryReachable?: boolean;
  /** What the last successful pass did. */
  usersChecked?: number;
  usersDeactivated?: number;
  usersReactivated?: number;
  /**
   * The groups teams name, as the last successful pass left them: refreshed (with the rows it
   * changed), or left as they were and why (accounts were still synced).
   */
  teamGroups?: {
    checked: number;
    membershipsAdded: number;
    membershipsRemoved: number;
    failureReason?: string;
  };
  ranOn?: string;
  intervalMs?: number;
}

/**
 * Passes run once per interval somewhere in the cluster; one late pass is a slow directory or a
 * lease handed over, two missed in a row means no node runs it.
 */
export const OVERDUE_INTERVALS = 2;

export function directorySyncHealth(status: authV1.DirectorySyncStatus, now: Date): DirectorySyncHealth {
  if (!status.configured) {
    return {
      state: 'not-configured',
      message: 'No directory is configured (local accounts only)',
      overdue: false,
    };
  }
  const base = { ranOn: status.ranOn || undefined, intervalMs: status.intervalMs };
  if (!status.lastAttemptAt) {
    return { ...base, state: 'pending', message: 'The directory sync has not run yet', overdue: false };
  }
  const ageMs = now.getTime() - Date.parse(status.lastAttemptAt);
  const overdue = status.intervalMs > 0 && ageMs > OVERDUE_INTERVALS * status.intervalMs;
  const aborted = status.lastFailureReason !== '';
  const counts = status.lastSuccessAt
    ? {
        usersChecked: status.usersChecked,
        usersDeactivated: status.usersDeactivated,
        usersReactivated: status.usersReactivated,
        teamGroups: {
          checked: status.teamGroupsChecked,
          membershipsAdded: status.groupMembershipsAdded,
          membershipsRemoved: status.groupMembershipsRemoved,
          ...(status.teamGroupsFailureReason ? { failureReason: status.teamGroupsFailureReason } : {}),
        },
      }
    : {};
  const teamGroupsStale = !aborted && status.teamGroupsFailureReason !== '';
  const late = overdue
    ? ` No pass for ${Math.round(ageMs / 1000)} s (interval ${status.intervalMs / 1000} s).`
    : '';
  return {
    ...base,
    state: aborted || overdue || teamGroupsStale ? 'degraded' : 'ok',
    message: aborted
      ? `The last directory sync pass aborted; every account keeps its last known state: ${status.lastFailureReason}.${late}`
      : teamGroupsStale
        ? `The last directory sync pass synced the accounts but left team groups as they were: ${status.teamGroupsFailureReason}.${late}`
        : `The last directory sync pass succeeded.${late}`,
    outcome: aborted ? 'aborted' : 'ok',
    ...(aborted ? { reason: status.lastFailureReason } : {}),
    lastPassAt: status.lastAttemptAt,
    ...(status.lastSuccessAt ? { lastSuccessAt: status.lastSuccessAt } : {}),
    overdue,
    directoryReachable: status.directoryReachable,
    ...counts,
  };
}

/** When auth could not say (down, or refused the call): the rest of the document still answers. */
export function unknownDirectorySyncHealth(reason: string): DirectorySyncHealth {
  return {
    state: 'unknown',
    message: `The directory sync's status is unavailable: ${reason}`,
    overdue: false,
  };
}
