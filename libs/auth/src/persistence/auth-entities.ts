import { auditOutboxEntity, auditOutboxProvenanceMigration } from '@flotilla/audit/outbox';

import {
  DirectorySyncDeactivationEntity,
  DirectorySyncLeaseEntity,
} from '../directory-sync/directory-sync.entities';
import { CreateClusterSettings1764200000228 } from '../settings/1764200000228-create-cluster-settings';
import { ClusterSettingEntity } from '../settings/cluster-setting.entity';
import { TeamEntities } from '../teams/team.entities';

import { ApiKeyEntity } from './api-key.entity';
import { AddApiKeysExpiresAt1764200000110 } from './migrations/add-api-keys-expires-at-1764200000110';
import { AddAuthOutboxForwardedFor1764200000101 } from './migrations/add-auth-outbox-forwarded-for-1764200000101';
import { AddUsersExternalId1764200000130 } from './migrations/add-users-external-id-1764200000130';
import { AddUsersMustChangePassword1764200000102 } from './migrations/add-users-must-change-password-1764200000102';
import { CreateAuthTables1764200000100 } from './migrations/create-auth-tables-1764200000100';
import { CreateDirectorySync1764200000140 } from './migrations/create-directory-sync-1764200000140';
import { CreateSignInThrottle1764200000120 } from './migrations/create-sign-in-throttle-1764200000120';
import { CreateTeams1764200000150 } from './migrations/create-teams-1764200000150';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

/** The audit outbox of the auth service; events leave through AuditOutboxModule.register('auth'). */
export const AUTH_AUDIT_SOURCE = 'auth';

export const AuthEntities = [
  UserEntity,
  SessionEntity,
  ApiKeyEntity,
  DirectorySyncLeaseEntity,
  DirectorySyncDeactivationEntity,
  ...TeamEntities,
  auditOutboxEntity(AUTH_AUDIT_SOURCE),
  ClusterSettingEntity,
];

export const AuthMigrations = [
  CreateAuthTables1764200000100,
  AddAuthOutboxForwardedFor1764200000101,
  AddUsersMustChangePassword1764200000102,
  AddApiKeysExpiresAt1764200000110,
  CreateSignInThrottle1764200000120,
  AddUsersExternalId1764200000130,
  CreateDirectorySync1764200000140,
  CreateTeams1764200000150,
  // The outbox's provenance columns (sign-in method, key id, socket peer, node, request, outcome, scope).
  auditOutboxProvenanceMigration(AUTH_AUDIT_SOURCE, 1764200000169),
  CreateClusterSettings1764200000228,
];
