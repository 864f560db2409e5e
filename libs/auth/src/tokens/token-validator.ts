import type { authV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';
import { DataSource } from 'typeorm';

import { ApiKeysRepository } from '../persistence/api-keys.repository';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import { buildPrincipal, CredentialKind } from '../principal/principal';
import { TeamsRepository } from '../teams/teams.repository';
import { toAuthUser } from '../users/auth-user';

import { hashSecret, isApiKeySecret } from './secret-tokens';

export const INVALID_TOKEN = 'Invalid or expired token';

/** Resolves a bearer token (session token or API key) to the principal it stands for. */
export class TokenValidator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly teams: TeamsRepository = new TeamsRepository(),
  ) {}

  async validate(token: string): Promise<authV1.Principal> {
    if (!token) throw RpcErrors.unauthenticated(INVALID_TOKEN);
    const owner = await this.ownerOf(token);
    if (!owner) throw RpcErrors.unauthenticated(INVALID_TOKEN);
    const user = await this.users.findById(this.dataSource.manager, owner.userId);
    // A disabled user's sessions and keys stop working at once, on every node.
    if (!user?.isActive) throw RpcErrors.unauthenticated(INVALID_TOKEN);
    // Read afresh on every call (one indexed query): a team change holds on the next call.
    const teamRoles = await this.teams.grantedTo(this.dataSource.manager, user.id);
    const principal = buildPrincipal(toAuthUser(user), owner.credential, teamRoles);
    // For the audit trail: a session's method is its account's (a directory account signs in
    // only through the directory), a key's is the key, named by its id.
    const signInMethod = owner.apiKeyId ? 'api-key' : user.source === 'directory' ? 'directory' : 'password';
    return { ...principal, signInMethod, ...(owner.apiKeyId ? { apiKeyId: owner.apiKeyId } : {}) };
  }

  private async ownerOf(
    token: string,
  ): Promise<{ userId: string; credential: CredentialKind; apiKeyId?: string } | undefined> {
    const manager = this.dataSource.manager;
    const tokenHash = hashSecret(token);
    if (isApiKeySecret(token)) {
      const key = await this.apiKeys.findActiveByHash(manager, tokenHash);
      return key ? { userId: key.userId, credential: 'api-key', apiKeyId: key.id } : undefined;
    }
    const session = await this.sessions.findLive(manager, tokenHash);
    if (!session) return undefined;
    await this.sessions.touch(manager, session.id);
    return { userId: session.userId, credential: 'session' };
  }
}
