/* eslint-disable @nx/enforce-module-boundaries --
 * The directory benchmarks run the auth service's own classes in this process (the directory
 * client alone, the sync pass with its lease) to time them apart from the gateway and gRPC: a
 * measuring tool reaching into the feature it measures, never product code depending on it. Deep
 * paths, not @flotilla/auth's index: the index loads the whole Nest module, gRPC controller and all. */
export { AuditRecorder } from '@flotilla/audit/outbox';
export { ClusterLease } from '../../../../libs/auth/src/directory-sync/cluster-lease';
export { DirectorySyncLeaseEntity } from '../../../../libs/auth/src/directory-sync/directory-sync.entities';
export { DirectoryAccountReader } from '../../../../libs/auth/src/directory-sync/directory-account-reader';
export { DirectorySyncRepository } from '../../../../libs/auth/src/directory-sync/directory-sync.repository';
export { DirectorySyncService } from '../../../../libs/auth/src/directory-sync/directory-sync.service';
export { DirectoryClient } from '../../../../libs/auth/src/directory/directory-client';
export { decodeGuid } from '../../../../libs/auth/src/directory/directory-ids';
export {
  AUTH_AUDIT_SOURCE,
  AuthEntities,
  AuthMigrations,
} from '../../../../libs/auth/src/persistence/auth-entities';
export { SessionEntity } from '../../../../libs/auth/src/persistence/session.entity';
export { SessionsRepository } from '../../../../libs/auth/src/persistence/sessions.repository';
export { UserEntity } from '../../../../libs/auth/src/persistence/user.entity';
export { RedisTokenRevocations } from '../../../../libs/auth/src/users/account-revocations';
export type { TokenRevocation, TokenRevocations } from '../../../../libs/auth/src/users/account-revocations';
export { AccountStateRepository } from '../../../../libs/auth/src/users/account-state.repository';
export { normalizeUsername } from '../../../../libs/auth/src/users/user-rules';
