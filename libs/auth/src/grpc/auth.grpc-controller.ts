import { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';

import { authV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ApiKeyService, toApiKeyReply } from '../api-keys/api-key.service';
import { DirectoryDiagnosticsService } from '../diagnostics/directory-diagnostics.service';
import { DirectorySyncStatusQuery } from '../directory-sync/directory-sync-status.query';
import { SessionService } from '../sessions/session.service';
import { teamInputFromWire, toTeamReply } from '../teams/team-wire';
import { TeamsService } from '../teams/teams.service';
import { hashSecret } from '../tokens/secret-tokens';
import { TokenValidator } from '../tokens/token-validator';
import { AccountAdministrationService } from '../users/account-administration.service';
import { TOKEN_REVOCATIONS, TokenRevocations } from '../users/account-revocations';
import { toUserReply } from '../users/auth-user';
import { PasswordChangeService } from '../users/password-change.service';
import { TrustedProxiesService } from '../settings/trusted-proxies.service';
import { UserService } from '../users/user.service';

/** flotilla.auth.v1.AuthService over gRPC: translation only, decisions live in the services. */
@Controller()
@authV1.AuthServiceControllerMethods()
export class AuthGrpcController implements authV1.AuthServiceController {
  constructor(
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(TokenValidator) private readonly tokens: TokenValidator,
    @Inject(ApiKeyService) private readonly apiKeys: ApiKeyService,
    @Inject(UserService) private readonly users: UserService,
    @Inject(PasswordChangeService) private readonly passwords: PasswordChangeService,
    @Inject(AccountAdministrationService) private readonly accounts: AccountAdministrationService,
    @Inject(TOKEN_REVOCATIONS) private readonly revocations: TokenRevocations,
    @Inject(DirectorySyncStatusQuery) private readonly directorySync: DirectorySyncStatusQuery,
    @Inject(DirectoryDiagnosticsService) private readonly directoryDiagnostics: DirectoryDiagnosticsService,
    @Inject(TeamsService) private readonly teams: TeamsService,
    @Inject(TrustedProxiesService) private readonly trustedProxies: TrustedProxiesService,
  ) {}

  async getTrustedProxies(): Promise<authV1.TrustedProxies> {
    return this.trustedProxies.get();
  }

  async setTrustedProxies(
    request: authV1.SetTrustedProxiesRequest,
    metadata?: Metadata,
  ): Promise<authV1.TrustedProxies> {
    return this.trustedProxies.set(identityFromMetadata(metadata), request.entries);
  }

  async listTeams(_request: authV1.Empty, metadata?: Metadata): Promise<authV1.TeamList> {
    return { items: (await this.teams.list(identityFromMetadata(metadata))).map(toTeamReply) };
  }

  async getTeam(request: authV1.TeamIdRequest, metadata?: Metadata): Promise<authV1.Team> {
    return toTeamReply(await this.teams.get(identityFromMetadata(metadata), request.id));
  }

  async createTeam(request: authV1.TeamDefinition, metadata?: Metadata): Promise<authV1.Team> {
    return toTeamReply(await this.teams.create(identityFromMetadata(metadata), teamInputFromWire(request)));
  }

  async updateTeam(request: authV1.UpdateTeamRequest, metadata?: Metadata): Promise<authV1.Team> {
    const team = await this.teams.update(
      identityFromMetadata(metadata),
      request.id,
      teamInputFromWire(request.team),
    );
    return toTeamReply(team);
  }

  async deleteTeam(request: authV1.TeamIdRequest, metadata?: Metadata): Promise<authV1.Empty> {
    await this.teams.delete(identityFromMetadata(metadata), request.id);
    return {};
  }

  getDirectorySyncStatus(_request: authV1.Empty, metadata?: Metadata): Promise<authV1.DirectorySyncStatus> {
    return this.directorySync.get(identityFromMetadata(metadata));
  }

  diagnoseDirectorySignIn(
    request: authV1.DirectoryDiagnosticsRequest,
    metadata?: Metadata,
  ): Promise<authV1.DirectoryDiagnostics> {
    return this.directoryDiagnostics.diagnose(identityFromMetadata(metadata), request.name);
  }

  async login(request: authV1.LoginRequest, metadata?: Metadata): Promise<authV1.LoginReply> {
    // The anonymous caller's metadata still says where the attempt came from (client IP, raw header).
    const session = await this.sessions.login(
      request.username,
      request.password,
      identityFromMetadata(metadata),
    );
    return {
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      user: toUserReply(session.user),
    };
  }

  async logout(request: authV1.TokenRequest, metadata?: Metadata): Promise<authV1.Empty> {
    await this.sessions.logout(request.token, identityFromMetadata(metadata));
    // Before answering: the other gateways drop the session by the time the caller hears it ended.
    if (request.token)
      await this.revocations.published({ tokenHash: hashSecret(request.token), reason: 'sign-out' });
    return {};
  }

  validateToken(request: authV1.TokenRequest): Promise<authV1.Principal> {
    return this.tokens.validate(request.token);
  }

  async createApiKey(
    request: authV1.CreateApiKeyRequest,
    metadata?: Metadata,
  ): Promise<authV1.CreatedApiKey> {
    const created = await this.apiKeys.create(
      identityFromMetadata(metadata),
      request.purpose,
      request.expiresAt,
    );
    return { key: toApiKeyReply(created.key), secret: created.secret };
  }

  async listApiKeys(_request: authV1.ListApiKeysRequest, metadata?: Metadata): Promise<authV1.ApiKeyList> {
    const keys = await this.apiKeys.list(identityFromMetadata(metadata));
    return { items: keys.map(({ key, expired }) => toApiKeyReply(key, expired)) };
  }

  async revokeApiKey(request: authV1.RevokeApiKeyRequest, metadata?: Metadata): Promise<authV1.Empty> {
    await this.apiKeys.revoke(identityFromMetadata(metadata), request.id);
    return {};
  }

  async createUser(request: authV1.CreateUserRequest, metadata?: Metadata): Promise<authV1.User> {
    return toUserReply(await this.users.create(identityFromMetadata(metadata), request));
  }

  async changePassword(request: authV1.ChangePasswordRequest, metadata?: Metadata): Promise<authV1.Empty> {
    // Like Login: no user yet, the metadata says where the attempt came from.
    await this.passwords.change(request, identityFromMetadata(metadata));
    return {};
  }

  async listUsers(_request: authV1.Empty, metadata?: Metadata): Promise<authV1.UserList> {
    const users = await this.users.list(identityFromMetadata(metadata));
    return { items: users.map(toUserReply) };
  }

  async disableUser(request: authV1.UserIdRequest, metadata?: Metadata): Promise<authV1.User> {
    return toUserReply(await this.accounts.disable(identityFromMetadata(metadata), request.userId));
  }

  async enableUser(request: authV1.UserIdRequest, metadata?: Metadata): Promise<authV1.User> {
    return toUserReply(await this.accounts.enable(identityFromMetadata(metadata), request.userId));
  }

  async revokeUserSessions(
    request: authV1.UserIdRequest,
    metadata?: Metadata,
  ): Promise<authV1.RevokedSessions> {
    return { count: await this.accounts.revokeSessions(identityFromMetadata(metadata), request.userId) };
  }

  async resetUserPassword(
    request: authV1.ResetUserPasswordRequest,
    metadata?: Metadata,
  ): Promise<authV1.User> {
    const user = await this.accounts.resetPassword(
      identityFromMetadata(metadata),
      request.userId,
      request.newPassword,
    );
    return toUserReply(user);
  }
}
