import { Permission } from '@flotilla/api-interfaces';
import { authV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import { requirePermission } from '../principal/principal';

import type { DirectorySyncService } from './directory-sync.service';

/** The sync's status for administrators (AdministerSystem), the same from every node. */
export class DirectorySyncStatusQuery {
  constructor(
    private readonly sync: DirectorySyncService | undefined,
    private readonly intervalMs: number,
  ) {}

  async get(caller: CallerIdentity): Promise<authV1.DirectorySyncStatus> {
    requirePermission(caller, Permission.AdministerSystem);
    const none: authV1.DirectorySyncStatus = {
      configured: false,
      lastAttemptAt: '',
      lastSuccessAt: '',
      lastFailureAt: '',
      lastFailureReason: '',
      directoryReachable: false,
      usersChecked: 0,
      usersDeactivated: 0,
      usersReactivated: 0,
      ranOn: '',
      intervalMs: 0,
      teamGroupsChecked: 0,
      groupMembershipsAdded: 0,
      groupMembershipsRemoved: 0,
      teamGroupsFailureReason: '',
    };
    if (!this.sync) return none;
    const status = await this.sync.status();
    return {
      ...none,
      ...status,
      configured: true,
      lastFailureReason: status.lastFailureReason ?? '',
      teamGroupsFailureReason: status.teamGroupsFailureReason ?? '',
      directoryReachable: status.directoryReachable ?? false,
      intervalMs: this.intervalMs,
    };
  }
}
