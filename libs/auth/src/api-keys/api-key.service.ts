import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { authV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { ApiKeyEntity } from '../persistence/api-key.entity';
import { ApiKeysRepository, ListedApiKey } from '../persistence/api-keys.repository';
import { UsersRepository } from '../persistence/users.repository';
import { hasPermission, requirePermission } from '../principal/principal';
import { NoTokenRevocations, TokenRevocations } from '../users/account-revocations';
import { newApiKeySecret, hashSecret } from '../tokens/secret-tokens';

const PURPOSE_MAX_LENGTH = 200;
/** The furthest expiry a key may be given; longer-lived keys are made without one. */
export const API_KEY_MAX_LIFETIME_DAYS = 3_650;
const DAY_MS = 86_400_000;

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
    private readonly revocations: TokenRevocations = new NoTokenRevocations(),
  ) {}

  /**
   * `expiresAtInput`: an optional ISO-8601 instant (empty: never expires), judged against the
   * database clock, which also enforces it.
   */
  async create(caller: CallerIdentity, purposeInput: string, expiresAtInput = ''): Promise<CreatedApiKey> {
    requirePermission(caller, Permission.ApiKeyEdit);
    const purpose = purposeInput.trim();
    if (!purpose || purpose.length > PURPOSE_MAX_LENGTH) {
      throw RpcErrors.invalidArgument(`Purpose must be 1 to ${PURPOSE_MAX_LENGTH} characters`);
    }
    const expiresAt = await this.parseExpiry(expiresAtInput);
    const owner = await this.users.findById(this.dataSource.manager, caller.userId);
    if (!owner?.isActive) throw RpcErrors.unauthenticated('The calling user does not exist or is disabled');
    const secret = newApiKeySecret();
    const key = await this.dataSource.transaction(async (manager) => {
      const created = await this.apiKeys.insert(manager, {
        id: randomUUID(),
        userId: owner.id,
        purpose,
        keyHash: hashSecret(secret),
        expiresAt,
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'api-key.created',
        resourceType: 'ApiKey',
        resourceId: created.id,
        details: { purpose, userId: owner.id, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
      });
      return created;
    });
    return { key, secret };
  }

  private async parseExpiry(input: string): Promise<Date | null> {
    if (!input.trim()) return null;
    const requested = new Date(input.trim()).getTime();
    if (Number.isNaN(requested))
      throw RpcErrors.invalidArgument(
        'expiresAt must be an ISO-8601 date and time, e.g. 2027-01-31T00:00:00Z',
      );
    // Whole seconds, rounded down: SQL Server drivers do not all carry milliseconds into datetime2,
    // and the same key must expire at the same instant on both dialects.
    const expiresAt = new Date(Math.floor(requested / 1_000) * 1_000);
    const now = await this.apiKeys.databaseNow(this.dataSource.manager);
    if (expiresAt.getTime() <= now.getTime())
      throw RpcErrors.invalidArgument('expiresAt must be in the future');
    if (expiresAt.getTime() > now.getTime() + API_KEY_MAX_LIFETIME_DAYS * DAY_MS)
      throw RpcErrors.invalidArgument(
        `expiresAt must be at most ${API_KEY_MAX_LIFETIME_DAYS} days ahead; leave it empty for a key that never expires`,
      );
    return expiresAt;
  }

  /** The caller's own keys that are not revoked (expired ones marked); administrators too see only their own here. */
  async list(caller: CallerIdentity): Promise<ListedApiKey[]> {
    requirePermission(caller, Permission.ApiKeyEdit);
    return this.apiKeys.listActiveOf(this.dataSource.manager, caller.userId);
  }

  async revoke(caller: CallerIdentity, id: string): Promise<void> {
    requirePermission(caller, Permission.ApiKeyEdit);
    const revoked = await this.dataSource.transaction(async (manager) => {
      const key = id ? await this.apiKeys.findById(manager, id) : null;
      const mayRevoke =
        key && (key.userId === caller.userId || hasPermission(caller, Permission.AdministerSystem));
      // Someone else's key is "not found": its existence is none of the caller's business.
      if (!key || !mayRevoke) throw RpcErrors.notFound(`API key ${id} not found`);
      if (!(await this.apiKeys.revoke(manager, key.id))) return undefined;
      await this.audit.record(manager, {
        actor: caller,
        action: 'api-key.revoked',
        resourceType: 'ApiKey',
        resourceId: key.id,
        details: { purpose: key.purpose, userId: key.userId },
      });
      return key;
    });
    // After the commit: a gateway that drops the key and asks again must hear "revoked".
    if (revoked) await this.revocations.published({ tokenHash: revoked.keyHash, reason: 'api-key-revoked' });
  }
}

export function toApiKeyReply(key: ApiKeyEntity, expired = false): authV1.ApiKey {
  return {
    id: key.id,
    purpose: key.purpose,
    createdAt: key.createdAt.toISOString(),
    userId: key.userId,
    expiresAt: key.expiresAt ? key.expiresAt.toISOString() : '',
    expired,
  };
}
