import type { Type } from '@nestjs/common';

import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditStreamsController } from './audit-streams/audit-streams.controller';
import { DeploymentsController } from './deployments/deployments.controller';
import { DirectoryDiagnosticsController } from './directory/diagnostics.controller';
import { DirectorySyncController } from './directory/directory-sync.controller';
import { EnvironmentsController } from './environments/environments.controller';
import { EventsController } from './events/events.controller';
import { AuditArchivesController } from './events/archives/audit-archives.controller';
import { EventsExportController } from './events/events-export.controller';
import { HealthController } from './health/health.controller';
import { NodesController } from './nodes/nodes.controller';
import { PackagesController } from './packages/packages.controller';
import { ProjectsController } from './projects/projects.controller';
import { ReleasesController } from './releases/releases.controller';
import { SignInProvidersController } from './sign-in-providers/sign-in-providers.controller';
import { TaskLogStreamController } from './tasks/task-log-stream.controller';
import { TasksController } from './tasks/tasks.controller';
import { TrustedProxiesController } from './settings/trusted-proxies.controller';
import { TeamsController } from './teams/teams.controller';
import { UsersController } from './users/users.controller';

/** Every REST controller of the gateway; the permission-coverage test walks this list. */
export const GATEWAY_CONTROLLERS: readonly Type[] = [
  UsersController,
  TeamsController,
  SignInProvidersController,
  ApiKeysController,
  ProjectsController,
  ReleasesController,
  EnvironmentsController,
  DeploymentsController,
  TasksController,
  TaskLogStreamController,
  PackagesController,
  EventsExportController,
  AuditArchivesController,
  EventsController,
  AuditStreamsController,
  NodesController,
  HealthController,
  DirectorySyncController,
  DirectoryDiagnosticsController,
  TrustedProxiesController,
];
