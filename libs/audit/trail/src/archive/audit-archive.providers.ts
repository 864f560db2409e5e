import { resolve } from 'node:path';

import type { Provider } from '@nestjs/common';

import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';

import { readArchiveSettings } from './archive-settings';
import { AuditArchiveRepository } from './audit-archive.repository';
import { AuditArchiveScheduler } from './audit-archive-scheduler';
import { AUDIT_ARCHIVE_SETTINGS, AuditArchivesService } from './audit-archives.service';

/** Retention and archives in the audit service (AuditTrailModule adds these). */
export const AUDIT_ARCHIVE_PROVIDERS: Provider[] = [
  {
    provide: AUDIT_ARCHIVE_SETTINGS,
    // A configuration without sharedStorage (a spec's partial one) gets FlotillaConfig's default.
    useFactory: (config: Partial<Pick<FlotillaConfig, 'sharedStorage'>>) =>
      readArchiveSettings(config.sharedStorage ?? resolve('.flotilla/shared')),
    inject: [FLOTILLA_CONFIG],
  },
  AuditArchiveRepository,
  AuditArchivesService,
  AuditArchiveScheduler,
];
