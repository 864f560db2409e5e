import { ArtifactsMigrations } from '@flotilla/artifacts';
import { AuditTrailMigrations } from '@flotilla/audit/trail';
import { AuthMigrations } from '@flotilla/auth';
import { OrchestrationMigrations } from '@flotilla/orchestration';
import type { MigrationList } from '@flotilla/platform/persistence';

/**
 * Every service's migrations. Each service owns its tables; they share one database and one
 * migrations table, ordered by the timestamps in their names (each service has its own range).
 */
export const ALL_MIGRATIONS: MigrationList = [
  ...AuthMigrations,
  ...AuditTrailMigrations,
  ...OrchestrationMigrations,
  ...ArtifactsMigrations,
];
