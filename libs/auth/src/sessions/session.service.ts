import { randomUUID } from 'node:crypto';

import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { RpcErrors } from '@flotilla/platform/grpc';
import { isDatabaseUnavailableError } from '@flotilla/platform/persistence';

import { anonymousActor, RequestOrigin, userActor } from '../audit-actors';
import type { CredentialVerifier } from '../credentials/credential-verifier';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import type { SignInThrottle } from '../throttle/sign-in-throttle';
import { hashSecret, isApiKeySecret, newSessionToken } from '../tokens/secret-tokens';
import type { AuthUser } from '../users/auth-user';

/** One message for every failed sign-in, so the reply never tells which part was wrong. */
export const INVALID_CREDENTIALS = 'Invalid username or password';
/**
 * The start of the PERMISSION_DENIED message for a right password that must be changed before it
 * opens a session; the gateway answers it as 403 {"error":"PasswordChangeRequired"} (it matches this
 * text: the gateway does not import the auth lib, see users.controller.ts there).
 */
export const PASSWORD_CHANGE_REQUIRED = 'PasswordChangeRequired';
export const PASSWORD_CHANGE_REQUIRED_MESSAGE = `${PASSWORD_CHANGE_REQUIRED}: this account must change its password before it signs in`;
/** The attempted username is audited; bound it so a hostile request cannot bloat the trail. */
const AUDITED_USERNAME_MAX = 200;

/**
 * The attempted username as the trail can store it: PostgreSQL text cannot hold NUL (and the
 * audit service refuses it), so it is escaped like the raw header, then cut to the column.
 */
function auditedUsername(username: string): string {
  return username.replaceAll('\u0000', '\\x00').slice(0, AUDITED_USERNAME_MAX);
}

export interface OpenedSession {
  token: string;
  expiresAt: Date;
  user: AuthUser;
}

/** Sign-in and sign-out. Sessions live in the database, so every node honours them. */
export class SessionService {
  private readonly logger = new Logger(SessionService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly verifier: CredentialVerifier,
    /** Counts failures cluster-wide and refuses (429) a locked-out name or address before any check. */
    private readonly throttle: SignInThrottle,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditRecorder,
    private readonly sessionHours: number,
  ) {}

  async login(username: string, password: string, origin: RequestOrigin): Promise<OpenedSession> {
    const user = await this.throttle.attempt(username, origin, () =>
      this.verifier.verify(username, password, origin),
    );
    if (!user) {
      await this.auditFailedSignIn(username, origin);
      throw RpcErrors.unauthenticated(INVALID_CREDENTIALS);
    }
    // Only after the password matched: a wrong one still gets the same answer as any other.
    if (user.mustChangePassword) {
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: userActor(user, origin),
          action: 'user.login-refused',
          resourceType: 'User',
          resourceId: user.id,
          details: { reason: 'password change required' },
        }),
      );
      throw RpcErrors.permissionDenied(PASSWORD_CHANGE_REQUIRED_MESSAGE);
    }
    const token = newSessionToken();
    const session = await this.dataSource.transaction(async (manager) => {
      await this.sessions.deleteExpiredOf(manager, user.id);
      const opened = await this.sessions.open(manager, {
        id: randomUUID(),
        tokenHash: hashSecret(token),
        userId: user.id,
        ttlSeconds: this.sessionHours * 3_600,
      });
      await this.audit.record(manager, {
        actor: userActor(user, origin),
        action: 'user.login',
        resourceType: 'User',
        resourceId: user.id,
        details: { sessionId: opened.id },
      });
      return opened;
    });
    return { token, expiresAt: session.expiresAt, user };
  }

  /**
   * Commits the failed attempt on its own: the sign-in fails, but the attempt must stay on record.
   * Nothing the client sent can fail this write (the recorder shapes the origin, the username is
   * escaped and cut). If it fails anyway:
   * - the database is unreachable: the error goes on and the caller gets UNAVAILABLE (HTTP 503),
   *   not a verdict on the credentials; the client retries once the database is back, and that
   *   attempt is audited, so no refused sign-in ever escapes the trail unanswered-for;
   * - anything else (a bug): logged as an error, and the caller still gets 401, the truth about
   *   the credentials, rather than a 500 that would read as "the server is broken".
   */
  private async auditFailedSignIn(username: string, origin: RequestOrigin): Promise<void> {
    const attempted = auditedUsername(username);
    try {
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: anonymousActor(origin),
          action: 'user.login-failed',
          resourceType: 'User',
          resourceId: attempted,
          details: { username: attempted },
        }),
      );
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw error;
      this.logger.error(
        `AUDIT LOST: failed sign-in for "${attempted}" from ${origin.clientIp || 'an unknown address'} ` +
          `could not be recorded: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }

  /** Ends the session of this token; an unknown or expired token is already signed out. */
  async logout(token: string, origin: RequestOrigin): Promise<void> {
    if (!token || isApiKeySecret(token)) return;
    await this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.findByTokenHash(manager, hashSecret(token));
      if (!session || !(await this.sessions.delete(manager, session.id))) return;
      const user = await this.users.findById(manager, session.userId);
      await this.audit.record(manager, {
        actor: userActor({ id: session.userId, username: user?.username ?? '' }, origin),
        action: 'user.logout',
        resourceType: 'User',
        resourceId: session.userId,
        details: { sessionId: session.id },
      });
    });
  }
}
