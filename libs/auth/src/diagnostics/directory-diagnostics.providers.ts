import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { DirectoryConfig } from '@flotilla/platform/config';

import { DIRECTORY_CONFIG } from '../credentials/credential-verifier.provider';

import { DirectoryDiagnosticsService } from './directory-diagnostics.service';
import { TeamsOfGroupsFromDatabase } from './teams-of-groups';

/** The administrators' directory diagnostics (answers "not configured" without a directory). */
export const directoryDiagnosticsProviders: Provider[] = [
  {
    provide: DirectoryDiagnosticsService,
    inject: [DataSource, AuditRecorder, DIRECTORY_CONFIG],
    useFactory: (dataSource: DataSource, audit: AuditRecorder, config: DirectoryConfig | undefined) =>
      new DirectoryDiagnosticsService(dataSource, audit, config, new TeamsOfGroupsFromDatabase(dataSource)),
  },
];
