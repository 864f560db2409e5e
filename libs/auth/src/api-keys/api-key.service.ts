import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { authV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { ApiKeyEntity } from '../persistence/api-key.entity';
import { ApiKeysRepository } from '../persistence/api-keys.repository';
import { UsersRepository } from '../persistence/users.repository';
import { hasPermission, requirePermission } from '../principal/principal';
import { newApiKeySecret, hashSecret } from '../tokens/secret-tokens';

const PURPOSE_MAX_LENGTH = 200;

export interface CreatedApiKey {
  key: ApiKeyEntity;
  /** Shown to the caller once; only its hash is stored. */
  secret: string;
}

/** API keys of the calling user: create, list, revoke (administrators may revoke anyone's). */
export class ApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditRecorder,
  ) {}

  async create(caller: CallerIdentity, purposeInput: string): Promise<CreatedApiKey> {
    requirePermission(caller, Permission.ApiKeyEdit);
    const purpose = purposeInput.trim();
    if (!purpose || purpose.length > PURPOSE_MAX_LENGTH) {
      throw RpcErrors.invalidArgument(`Purpose must be 1 to ${PURPOSE_MAX_LENGTH} characters`);
    }
    const owner = await this.users.findById(this.dataSource.manager, caller.userId);
    if (!owner?.isActive) throw RpcErrors.unauthenticated('The calling user does not exist or is disabled');
    const secret = newApiKeySecret();
    const key = await this.dataSource.transaction(async (manager) => {
      const created = await this.apiKeys.insert(manager, {
        id: randomUUID(),
        userId: owner.id,
        purpose,
        keyHash: hashSecret(secret),
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'api-key.created',
        resourceType: 'ApiKey',
        resourceId: created.id,
        details: { purpose, userId: owner.id },
      });
      return created;
    });
    return { key, secret };
  }

  /** The caller's own active keys; administrators too see only their own here. */
  async list(caller: CallerIdentity): Promise<ApiKeyEntity[]> {
    requirePermission(caller, Permission.ApiKeyEdit);
    return this.apiKeys.listActiveOf(this.dataSource.manager, caller.userId);
  }

  async revoke(caller: CallerIdentity, id: string): Promise<void> {
    requirePermission(caller, Permission.ApiKeyEdit);
    await this.dataSource.transaction(async (manager) => {
      const key = id ? await this.apiKeys.findById(manager, id) : null;
      const mayRevoke =
        key && (key.userId === caller.userId || hasPermission(caller, Permission.AdministerSystem));
      // Someone else's key is "not found": its existence is none of the caller's business.
      if (!key || !mayRevoke) throw RpcErrors.notFound(`API key ${id} not found`);
      if (!(await this.apiKeys.revoke(manager, key.id))) return;
      await this.audit.record(manager, {
        actor: caller,
        action: 'api-key.revoked',
        resourceType: 'ApiKey',
        resourceId: key.id,
        details: { purpose: key.purpose, userId: key.userId },
      });
    });
  }
}

export function toApiKeyReply(key: ApiKeyEntity): authV1.ApiKey {
  return { id: key.id, purpose: key.purpose, createdAt: key.createdAt.toISOString(), userId: key.userId };
}
