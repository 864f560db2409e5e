import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { RpcErrors } from '@flotilla/platform/grpc';

import { anonymousActor, userActor } from '../audit-actors';
import type { CredentialVerifier } from '../credentials/credential-verifier';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import { hashSecret, isApiKeySecret, newSessionToken } from '../tokens/secret-tokens';
import type { AuthUser } from '../users/auth-user';

/** One message for every failed sign-in, so the reply never tells which part was wrong. */
export const INVALID_CREDENTIALS = 'Invalid username or password';
/** The attempted username is audited; bound it so a hostile request cannot bloat the trail. */
const AUDITED_USERNAME_MAX = 200;

export interface OpenedSession {
  token: string;
  expiresAt: Date;
  user: AuthUser;
}

/** Sign-in and sign-out. Sessions live in the database, so every node honours them. */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly verifier: CredentialVerifier,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditRecorder,
    private readonly sessionHours: number,
  ) {}

  async login(username: string, password: string, clientIp: string): Promise<OpenedSession> {
    const user = await this.verifier.verify(username, password);
    if (!user) {
      const attempted = username.slice(0, AUDITED_USERNAME_MAX);
      // Committed on its own: the sign-in fails, but the attempt must stay on record.
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: anonymousActor(clientIp),
          action: 'user.login-failed',
          resourceType: 'User',
          resourceId: attempted,
          details: { username: attempted },
        }),
      );
      throw RpcErrors.unauthenticated(INVALID_CREDENTIALS);
    }
    const token = newSessionToken();
    const session = await this.dataSource.transaction(async (manager) => {
      await this.sessions.deleteExpiredOf(manager, user.id);
      const opened = await this.sessions.open(manager, {
        id: randomUUID(),
        tokenHash: hashSecret(token),
        userId: user.id,
        ttlMs: this.sessionHours * 3_600_000,
      });
      await this.audit.record(manager, {
        actor: userActor(user, clientIp),
        action: 'user.login',
        resourceType: 'User',
        resourceId: user.id,
        details: { sessionId: opened.id },
      });
      return opened;
    });
    return { token, expiresAt: session.expiresAt, user };
  }

  /** Ends the session of this token; an unknown or expired token is already signed out. */
  async logout(token: string, clientIp: string): Promise<void> {
    if (!token || isApiKeySecret(token)) return;
    await this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.findByTokenHash(manager, hashSecret(token));
      if (!session || !(await this.sessions.delete(manager, session.id))) return;
      const user = await this.users.findById(manager, session.userId);
      await this.audit.record(manager, {
        actor: userActor({ id: session.userId, username: user?.username ?? '' }, clientIp),
        action: 'user.logout',
        resourceType: 'User',
        resourceId: session.userId,
        details: { sessionId: session.id },
      });
    });
  }
}
