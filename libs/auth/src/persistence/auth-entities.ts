import { auditOutboxEntity } from '@flotilla/audit/outbox';

import { ApiKeyEntity } from './api-key.entity';
import { AddAuthOutboxForwardedFor1764200000101 } from './migrations/add-auth-outbox-forwarded-for-1764200000101';
import { AddUsersMustChangePassword1764200000102 } from './migrations/add-users-must-change-password-1764200000102';
import { CreateAuthTables1764200000100 } from './migrations/create-auth-tables-1764200000100';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

/** The audit outbox of the auth service; events leave through AuditOutboxModule.register('auth'). */
export const AUTH_AUDIT_SOURCE = 'auth';

export const AuthEntities = [UserEntity, SessionEntity, ApiKeyEntity, auditOutboxEntity(AUTH_AUDIT_SOURCE)];

export const AuthMigrations = [
  CreateAuthTables1764200000100,
  AddAuthOutboxForwardedFor1764200000101,
  AddUsersMustChangePassword1764200000102,
];
