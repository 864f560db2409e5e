import { Provider } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { DirectoryConfig, loadDirectorySyncIntervalMs } from '@flotilla/platform/config';

import { DIRECTORY_CONFIG } from '../credentials/credential-verifier.provider';
import { TOKEN_REVOCATIONS, TokenRevocations } from '../users/account-revocations';
import { AccountStateRepository } from '../users/account-state.repository';

import { ClusterLease } from './cluster-lease';
import { DirectoryAccountReader } from './directory-account-reader';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DirectorySyncScheduler, leaseTtlMs } from './directory-sync.scheduler';
import { DIRECTORY_SYNC_ACTOR, DirectorySyncService } from './directory-sync.service';
import { DirectoryGroupMembersReader } from './directory-group-members';
import { TeamGroupRefresh } from './team-group-refresh';
import { DirectorySyncStatusQuery } from './directory-sync-status.query';

export const DIRECTORY_SYNC_LEASE = 'directory-sync';
const DIRECTORY_SYNC_INTERVAL = Symbol('DIRECTORY_SYNC_INTERVAL');

/**
 * The directory sync when FLOTILLA_DIRECTORY_KIND is set (DirectorySyncService is undefined
 * otherwise); its scheduler ticks on every node, the lease picks the one that runs.
 */
export const directorySyncProviders: Provider[] = [
  { provide: DIRECTORY_SYNC_INTERVAL, useFactory: (): number => loadDirectorySyncIntervalMs() },
  {
    provide: DirectorySyncService,
    inject: [DataSource, AuditRecorder, TOKEN_REVOCATIONS, DIRECTORY_CONFIG, DIRECTORY_SYNC_INTERVAL],
    useFactory: (
      dataSource: DataSource,
      audit: AuditRecorder,
      revocations: TokenRevocations,
      config: DirectoryConfig | undefined,
      intervalMs: number,
    ): DirectorySyncService | undefined => {
      if (!config) return undefined;
      const repository = new DirectorySyncRepository(dataSource);
      return new DirectorySyncService(
        dataSource,
        new DirectoryAccountReader(config),
        repository,
        new AccountStateRepository(),
        audit,
        revocations,
        new ClusterLease(dataSource, DIRECTORY_SYNC_LEASE),
        `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
        leaseTtlMs(intervalMs),
        new TeamGroupRefresh(
          dataSource,
          new DirectoryGroupMembersReader(config),
          repository,
          audit,
          revocations,
          DIRECTORY_SYNC_ACTOR,
        ),
      );
    },
  },
  {
    provide: DirectorySyncScheduler,
    inject: [DirectorySyncService, DIRECTORY_SYNC_INTERVAL],
    useFactory: (sync: DirectorySyncService | undefined, intervalMs: number) =>
      new DirectorySyncScheduler(sync, intervalMs),
  },
  {
    provide: DirectorySyncStatusQuery,
    inject: [DirectorySyncService, DIRECTORY_SYNC_INTERVAL],
    useFactory: (sync: DirectorySyncService | undefined, intervalMs: number) =>
      new DirectorySyncStatusQuery(sync, intervalMs),
  },
];
