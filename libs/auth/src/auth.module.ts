import { Module, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditOutboxModule, AuditRecorder } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { ApiKeyService } from './api-keys/api-key.service';
import { AUTH_SETTINGS, AuthSettings, authSettingsFrom } from './auth-settings';
import { CREDENTIAL_VERIFIER, CredentialVerifier } from './credentials/credential-verifier';
import { LocalCredentialVerifier } from './credentials/local-credential-verifier';
import { AuthGrpcController } from './grpc/auth.grpc-controller';
import { ScryptPasswordHasher } from './passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE } from './persistence/auth-entities';
import { ApiKeysRepository } from './persistence/api-keys.repository';
import { SessionsRepository } from './persistence/sessions.repository';
import { UsersRepository } from './persistence/users.repository';
import { SessionService } from './sessions/session.service';
import { TokenValidator } from './tokens/token-validator';
import { BootstrapAdministrator } from './users/bootstrap-administrator';
import { BootstrapAdministratorOnStart } from './users/bootstrap-administrator.hook';
import { PasswordChangeService } from './users/password-change.service';
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
  {
    provide: CREDENTIAL_VERIFIER,
    inject: [DataSource, UsersRepository, ScryptPasswordHasher],
    useFactory: (
      dataSource: DataSource,
      users: UsersRepository,
      hasher: ScryptPasswordHasher,
    ): CredentialVerifier => new LocalCredentialVerifier(dataSource, users, hasher),
  },
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
    inject: [DataSource, CREDENTIAL_VERIFIER, UsersRepository, ScryptPasswordHasher, AuditRecorder],
    useFactory: (
      dataSource: DataSource,
      verifier: CredentialVerifier,
      users: UsersRepository,
      hasher: ScryptPasswordHasher,
      audit: AuditRecorder,
    ) => new PasswordChangeService(dataSource, verifier, users, hasher, audit),
  },
  {
    provide: SessionService,
    inject: [
      DataSource,
      CREDENTIAL_VERIFIER,
      SessionsRepository,
      UsersRepository,
      AuditRecorder,
      AUTH_SETTINGS,
    ],
    useFactory: (
      dataSource: DataSource,
      verifier: CredentialVerifier,
      sessions: SessionsRepository,
      users: UsersRepository,
      audit: AuditRecorder,
      settings: AuthSettings,
    ) => new SessionService(dataSource, verifier, sessions, users, audit, settings.sessionHours),
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
    inject: [DataSource, ApiKeysRepository, UsersRepository, AuditRecorder],
    useFactory: (
      dataSource: DataSource,
      apiKeys: ApiKeysRepository,
      users: UsersRepository,
      audit: AuditRecorder,
    ) => new ApiKeyService(dataSource, apiKeys, users, audit),
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
