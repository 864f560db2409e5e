import { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';

import { authV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ApiKeyService, toApiKeyReply } from '../api-keys/api-key.service';
import { SessionService } from '../sessions/session.service';
import { TokenValidator } from '../tokens/token-validator';
import { toUserReply } from '../users/auth-user';
import { PasswordChangeService } from '../users/password-change.service';
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
  ) {}

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
    return {};
  }

  validateToken(request: authV1.TokenRequest): Promise<authV1.Principal> {
    return this.tokens.validate(request.token);
  }

  async createApiKey(
    request: authV1.CreateApiKeyRequest,
    metadata?: Metadata,
  ): Promise<authV1.CreatedApiKey> {
    const created = await this.apiKeys.create(identityFromMetadata(metadata), request.purpose);
    return { key: toApiKeyReply(created.key), secret: created.secret };
  }

  async listApiKeys(_request: authV1.ListApiKeysRequest, metadata?: Metadata): Promise<authV1.ApiKeyList> {
    const keys = await this.apiKeys.list(identityFromMetadata(metadata));
    return { items: keys.map(toApiKeyReply) };
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
}
