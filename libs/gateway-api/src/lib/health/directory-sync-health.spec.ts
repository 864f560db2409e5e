import type { authV1 } from '@flotilla/contracts';

import { directorySyncHealth, unknownDirectorySyncHealth } from './directory-sync-health';

const NOW = new Date('2026-12-01T13:00:00.000Z');
const INTERVAL_MS = 300_000;
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

const status = (overrides: Partial<authV1.DirectorySyncStatus> = {}): authV1.DirectorySyncStatus => ({
  configured: true,
  lastAttemptAt: minutesAgo(1),
  lastSuccessAt: minutesAgo(1),
  lastFailureAt: '',
  lastFailureReason: '',
  directoryReachable: true,
  usersChecked: 40,
  usersDeactivated: 2,
  usersReactivated: 1,
  ranOn: 'node-b/123/abcd',
  intervalMs: INTERVAL_MS,
  teamGroupsChecked: 3,
  groupMembershipsAdded: 4,
  groupMembershipsRemoved: 1,
  teamGroupsFailureReason: '',
  ...overrides,
});

describe(directorySyncHealth.name, () => {
  it('is ok after a recent successful pass, with its time and counts', () => {
    expect(directorySyncHealth(status(), NOW)).toEqual({
      state: 'ok',
      message: 'The last directory sync pass succeeded.',
      outcome: 'ok',
      lastPassAt: minutesAgo(1),
      lastSuccessAt: minutesAgo(1),
      overdue: false,
      directoryReachable: true,
      usersChecked: 40,
      usersDeactivated: 2,
      usersReactivated: 1,
      teamGroups: { checked: 3, membershipsAdded: 4, membershipsRemoved: 1 },
      ranOn: 'node-b/123/abcd',
      intervalMs: INTERVAL_MS,
    });
  });

  it('is degraded, saying why, when a pass synced the accounts but left team groups as they were', () => {
    const reason = 'The team group S-1-5-21-1-2-3-987654 is not in the directory';
    const health = directorySyncHealth(
      status({ teamGroupsFailureReason: reason, groupMembershipsAdded: 0, groupMembershipsRemoved: 0 }),
      NOW,
    );
    expect(health).toMatchObject({
      state: 'degraded',
      outcome: 'ok',
      usersDeactivated: 2,
      teamGroups: { checked: 3, membershipsAdded: 0, membershipsRemoved: 0, failureReason: reason },
    });
    expect(health.message).toContain(`left team groups as they were: ${reason}`);
  });

  it('is degraded with the reason after an aborted pass (the counts are the last successful one)', () => {
    const health = directorySyncHealth(
      status({
        lastAttemptAt: minutesAgo(1),
        lastFailureAt: minutesAgo(1),
        lastSuccessAt: minutesAgo(6),
        lastFailureReason: 'No domain controller answered',
        directoryReachable: false,
      }),
      NOW,
    );
    expect(health).toMatchObject({
      state: 'degraded',
      outcome: 'aborted',
      reason: 'No domain controller answered',
      directoryReachable: false,
      lastSuccessAt: minutesAgo(6),
      usersChecked: 40,
      overdue: false,
    });
    expect(health.message).toMatch(/aborted; every account keeps its last known state: No domain controller/);
  });

  it('is degraded and overdue when no pass ran for more than two intervals', () => {
    const health = directorySyncHealth(
      status({ lastAttemptAt: minutesAgo(11), lastSuccessAt: minutesAgo(11) }),
      NOW,
    );
    expect(health).toMatchObject({ state: 'degraded', outcome: 'ok', overdue: true });
    expect(health.message).toMatch(/No pass for 660 s \(interval 300 s\)/);
    expect(directorySyncHealth(status({ lastAttemptAt: minutesAgo(9) }), NOW).overdue).toBe(false);
  });

  it('is pending before the first pass, and says when no directory is configured', () => {
    expect(directorySyncHealth(status({ lastAttemptAt: '', lastSuccessAt: '' }), NOW)).toMatchObject({
      state: 'pending',
      overdue: false,
    });
    expect(directorySyncHealth(status({ configured: false }), NOW)).toEqual({
      state: 'not-configured',
      message: 'No directory is configured (local accounts only)',
      overdue: false,
    });
  });

  it('leaves the counts out while no pass has succeeded yet', () => {
    const health = directorySyncHealth(
      status({ lastSuccessAt: '', lastFailureReason: 'refused', usersChecked: 0 }),
      NOW,
    );
    expect(health.usersChecked).toBeUndefined();
    expect(health.state).toBe('degraded');
  });
});

describe(unknownDirectorySyncHealth.name, () => {
  it('says why the status is unknown', () => {
    expect(unknownDirectorySyncHealth('Timeout has occurred')).toEqual({
      state: 'unknown',
      message: "The directory sync's status is unavailable: Timeout has occurred",
      overdue: false,
    });
  });
});
