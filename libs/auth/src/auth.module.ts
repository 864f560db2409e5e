import { Module, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditOutboxModule, AuditRecorder } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { ApiKeyService } from './api-keys/api-key.service';
import { AUTH_SETTINGS, AuthSettings, authSettingsFrom } from './auth-settings';
import { CREDENTIAL_VERIFIER, CredentialVerifier } from './credentials/credential-verifier';
import { credentialVerifierProviders } from './credentials/credential-verifier.provider';
import { directoryDiagnosticsProviders } from './diagnostics/directory-diagnostics.providers';
import { directorySyncProviders } from './directory-sync/directory-sync.providers';
import { AuthGrpcController } from './grpc/auth.grpc-controller';
import { ScryptPasswordHasher } from './passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE } from './persistence/auth-entities';
import { ApiKeysRepository } from './persistence/api-keys.repository';
import { SessionsRepository } from './persistence/sessions.repository';
import { UsersRepository } from './persistence/users.repository';
import { SessionService } from './sessions/session.service';
import { trustedProxiesProviders } from './settings/trusted-proxies.providers';
import { teamsProviders } from './teams/teams.providers';
import { SignInThrottle } from './throttle/sign-in-throttle';
import { signInThrottleProviders } from './throttle/sign-in-throttle.providers';
import { TokenValidator } from './tokens/token-validator';
import { BootstrapAdministrator } from './users/bootstrap-administrator';
import { BootstrapAdministratorOnStart } from './users/bootstrap-administrator.hook';
import { PasswordChangeService } from './users/password-change.service';
import { AccountAdministrationService } from './users/account-administration.service';
import {
  NoTokenRevocations,
  RedisTokenRevocations,
  TOKEN_REVOCATIONS,
  TokenRevocations,
} from './users/account-revocations';
import { AccountStateRepository } from './users/account-state.repository';
import { UserService } from './users/user.service';

// The services are plain classes (constructed directly in tests); the wiring is spelled out here.
const providers: Provider[] = [
  {
    provide: AUTH_SETTINGS,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig) => authSettingsFrom(config),
  },
  { provide: ScryptPasswordHasher, useFactory: () => new ScryptPasswordHasher() },
  { provide: UsersRepository, useFactory: () => new UsersRepository() },
  { provide: SessionsRepository, useFactory: () => new SessionsRepository() },
  { provide: ApiKeysRepository, useFactory: () => new ApiKeysRepository() },
  ...signInThrottleProviders,
  {
    // Tells the gateways of every node to drop revoked credentials (see account-revocations.ts).
    provide: TOKEN_REVOCATIONS,
    inject: [FLOTILLA_CONFIG],
    useFactory: (config: FlotillaConfig): TokenRevocations =>
      config.redisUrl ? new RedisTokenRevocations(config.redisUrl) : new NoTokenRevocations(),
  },
  {
    provide: AccountAdministrationService,
    inject: [DataSource, UsersRepository, ScryptPasswordHasher, AuditRecorder, TOKEN_REVOCATIONS],
    useFactory: (
      dataSource: DataSource,
      users: UsersRepository,
      hasher: ScryptPasswordHasher,
      audit: AuditRecorder,
      revocations: TokenRevocations,
    ) =>
      new AccountAdministrationService(
        dataSource,
        users,
        new AccountStateRepository(),
        hasher,
        audit,
        revocations,
      ),
  },
  // Local accounts, and Active Directory / LDAP when FLOTILLA_DIRECTORY_KIND is set.
  ...credentialVerifierProviders,
  // Revokes what the directory withdrew, once per cluster per FLOTILLA_DIRECTORY_SYNC_INTERVAL_MS.
  ...directorySyncProviders,
  // Administrators test a sign-in name's directory path (no password; audited).
  ...directoryDiagnosticsProviders,
  // Teams: members and scoped role grants (ValidateToken reads their grants per token).
  ...teamsProviders,
  {
    provide: UserService,
    inject: [DataSource, UsersRepository, ScryptPasswordHasher, AuditRecorder],
    useFactory: (
      dataSource: DataSource,
      users: UsersRepository,
      hasher: ScryptPasswordHasher,
      audit: AuditRecorder,
    ) => new UserService(dataSource, users, hasher, audit),
  },
  {
    provide: PasswordChangeService,
    inject: [
      DataSource,
      CREDENTIAL_VERIFIER,
      UsersRepository,
      ScryptPasswordHasher,
      AuditRecorder,
      SignInThrottle,
    ],
    useFactory: (
      dataSource: DataSource,
      verifier: CredentialVerifier,
      users: UsersRepository,
      hasher: ScryptPasswordHasher,
      audit: AuditRecorder,
      throttle: SignInThrottle,
    ) => new PasswordChangeService(dataSource, verifier, users, hasher, audit, throttle),
  },
  {
    provide: SessionService,
    inject: [
      DataSource,
      CREDENTIAL_VERIFIER,
      SignInThrottle,
      SessionsRepository,
      UsersRepository,
      AuditRecorder,
      AUTH_SETTINGS,
    ],
    useFactory: (
      dataSource: DataSource,
      verifier: CredentialVerifier,
      throttle: SignInThrottle,
      sessions: SessionsRepository,
      users: UsersRepository,
      audit: AuditRecorder,
      settings: AuthSettings,
    ) => new SessionService(dataSource, verifier, throttle, sessions, users, audit, settings.sessionHours),
  },
  {
    provide: TokenValidator,
    inject: [DataSource, SessionsRepository, ApiKeysRepository, UsersRepository],
    useFactory: (
      dataSource: DataSource,
      sessions: SessionsRepository,
      apiKeys: ApiKeysRepository,
      users: UsersRepository,
    ) => new TokenValidator(dataSource, sessions, apiKeys, users),
  },
  {
    provide: ApiKeyService,
    inject: [DataSource, ApiKeysRepository, UsersRepository, AuditRecorder, TOKEN_REVOCATIONS],
    useFactory: (
      dataSource: DataSource,
      apiKeys: ApiKeysRepository,
      users: UsersRepository,
      audit: AuditRecorder,
      revocations: TokenRevocations,
    ) => new ApiKeyService(dataSource, apiKeys, users, audit, revocations),
  },
  {
    provide: BootstrapAdministrator,
    inject: [DataSource, UsersRepository, UserService, AUTH_SETTINGS],
    useFactory: (
      dataSource: DataSource,
      users: UsersRepository,
      userService: UserService,
      settings: AuthSettings,
    ) => new BootstrapAdministrator(dataSource, users, userService, settings),
  },
  BootstrapAdministratorOnStart,
  // The trusted proxies: a cluster-wide setting every gateway follows.
  ...trustedProxiesProviders,
];

/**
 * The auth service: local accounts, sessions, API keys, the bootstrap administrator and the
 * gRPC controller. Needs FLOTILLA_CONFIG and a DataSource over AuthEntities from the app.
 */
@Module({
  imports: [AuditOutboxModule.register(AUTH_AUDIT_SOURCE)],
  controllers: [AuthGrpcController],
  providers,
  exports: [TokenValidator, CREDENTIAL_VERIFIER],
})
export class AuthModule {}
