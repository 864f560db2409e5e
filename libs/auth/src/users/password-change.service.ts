import { DataSource } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { RpcErrors } from '@flotilla/platform/grpc';

import { anonymousActor, RequestOrigin, userActor } from '../audit-actors';
import type { CredentialVerifier } from '../credentials/credential-verifier';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { UsersRepository } from '../persistence/users.repository';
import { INVALID_CREDENTIALS } from '../sessions/session.service';
import type { SignInThrottle } from '../throttle/sign-in-throttle';

import type { AuthUser } from './auth-user';
import { passwordProblem } from './user-rules';

export interface PasswordChange {
  username: string;
  currentPassword: string;
  newPassword: string;
}

/**
 * A local account replaces its password, proving it with the current one. No session needed:
 * an account that must change its password (the bootstrap administrator's generated one) has
 * none until it has. Answers like sign-in for a wrong username or password, so it tells no more
 * than sign-in does; every attempt is audited.
 */
export class PasswordChangeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly verifier: CredentialVerifier,
    private readonly users: UsersRepository,
    private readonly hasher: ScryptPasswordHasher,
    private readonly audit: AuditRecorder,
    /** The current password is a password check like sign-in's: counted and locked out alike. */
    private readonly throttle: SignInThrottle,
  ) {}

  async change(request: PasswordChange, origin: RequestOrigin): Promise<void> {
    const problem = passwordProblem(request.newPassword);
    if (problem) throw RpcErrors.invalidArgument(problem);
    if (request.newPassword === request.currentPassword)
      throw RpcErrors.invalidArgument('The new password must differ from the current one');
    const proven = await this.throttle.attempt(request.username, origin, () => this.proveCurrent(request));
    if (!proven) {
      // Escaped and cut as failed sign-ins are: the trail cannot hold NUL, and a hostile name is bounded.
      const attempted = request.username.replaceAll('\u0000', '\\x00').slice(0, 200);
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, {
          actor: anonymousActor(origin),
          action: 'user.password-change-failed',
          resourceType: 'User',
          resourceId: attempted,
          details: { username: attempted },
        }),
      );
      throw RpcErrors.unauthenticated(INVALID_CREDENTIALS);
    }
    const { user, storedHash } = proven;
    const newHash = await this.hasher.hash(request.newPassword);
    const changed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.users.replacePassword(manager, user.id, storedHash, newHash))) return false;
      await this.audit.record(manager, {
        actor: userActor(user, origin),
        action: 'user.password-changed',
        resourceType: 'User',
        resourceId: user.id,
        details: { wasRequired: user.mustChangePassword },
      });
      return true;
    });
    // Another change with the same current password won between our check and our update.
    if (!changed) throw RpcErrors.unauthenticated(INVALID_CREDENTIALS);
  }

  /** The account and the stored hash the current password matches, or undefined (a failed check). */
  private async proveCurrent(
    request: PasswordChange,
  ): Promise<{ user: AuthUser; storedHash: string } | undefined> {
    const user = await this.verifier.verify(request.username, request.currentPassword);
    const stored = user ? await this.users.findById(this.dataSource.manager, user.id) : null;
    // The update is conditional on the hash read here, so that hash must be one the current
    // password matches: a concurrent change that committed after verify() read the account would
    // otherwise be overwritten by this one (both of two racing changes succeeded in a CI run).
    const storedHash = stored?.passwordHash;
    if (!user || !storedHash || !(await this.hasher.verify(request.currentPassword, storedHash)))
      return undefined;
    return { user, storedHash };
  }
}
