import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { Role } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import { retryAfterOf } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { LocalCredentialVerifier } from '../credentials/local-credential-verifier';
import { ScryptPasswordHasher } from '../passwords/scrypt-password-hasher';
import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { SessionsRepository } from '../persistence/sessions.repository';
import { UsersRepository } from '../persistence/users.repository';
import { SessionService } from '../sessions/session.service';
import {
  auditRows,
  AuthServices,
  clearAudit,
  createAuthServices,
  createTestUser,
  originOf,
  rpcDetailsOf,
} from '../testing/auth-services.fixture';
import { PasswordChangeService } from '../users/password-change.service';

import { SIGN_IN_LOCKED_OUT } from './sign-in-throttle';
import { createSignInThrottle } from './sign-in-throttle.providers';

/**
 * Long enough for three failed sign-ins and the check after them on a loaded machine (with 3 s, the
 * window ended before the fourth attempt once, at load average 10 on Babelfish), short enough to
 * wait out once.
 */
const WINDOW_SECONDS = 8;

/** Sign-in and password change over the database counters (no Redis), 3 failures per account. */
describe('sign-in lockout', () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let signIn: SessionService;
  let passwordChange: PasswordChangeService;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    const users = new UsersRepository();
    const hasher = new ScryptPasswordHasher();
    const audit = new AuditRecorder(AUTH_AUDIT_SOURCE);
    const verifier = new LocalCredentialVerifier(db.dataSource, users, hasher);
    const throttle = createSignInThrottle(db.dataSource, users, audit, {
      maxFailuresPerUser: 3,
      maxFailuresPerIp: 50,
      windowSeconds: WINDOW_SECONDS,
    });
    signIn = new SessionService(db.dataSource, verifier, throttle, new SessionsRepository(), users, audit, 8);
    passwordChange = new PasswordChangeService(db.dataSource, verifier, users, hasher, audit, throttle);
    await createTestUser(services, 'Locked.Out', [Role.Deployer]);
    await createTestUser(services, 'Bystander', [Role.Deployer]);
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  /** The gRPC code, and the Retry-After seconds a refusal carries. */
  async function outcome(work: Promise<unknown>): Promise<{ code: status; retryAfter?: number }> {
    try {
      await work;
      return { code: status.OK };
    } catch (error) {
      const sent = error instanceof RpcException ? error.getError() : error;
      const retryAfter = retryAfterOf(sent);
      return { code: rpcDetailsOf(error).code, ...(retryAfter ? { retryAfter } : {}) };
    }
  }

  it('locks an account after 20 parallel wrong passwords: 3 checked, the rest and the right password refused, audited once; open again after the window', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        outcome(
          signIn.login(i % 2 ? 'locked.out' : 'LOCKED.OUT', 'wrong password!!', originOf(`192.0.2.${i % 4}`)),
        ),
      ),
    );
    expect(attempts.filter((attempt) => attempt.code === status.UNAUTHENTICATED)).toHaveLength(3);
    expect(attempts.filter((attempt) => attempt.code === status.RESOURCE_EXHAUSTED)).toHaveLength(17);

    await expect(
      outcome(signIn.login('Locked.Out', 'Locked.Out password!', originOf('198.51.100.1'))),
    ).resolves.toEqual({
      code: status.RESOURCE_EXHAUSTED,
      retryAfter: expect.any(Number) as number,
    });
    // The password change is the same password check: refused too, the password untouched.
    await expect(
      outcome(
        passwordChange.change(
          {
            username: 'Locked.Out',
            currentPassword: 'Locked.Out password!',
            newPassword: 'a brand new password',
          },
          originOf('198.51.100.1'),
        ),
      ),
    ).resolves.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    // Someone else signs in as usual.
    await expect(
      outcome(signIn.login('Bystander', 'Bystander password!', originOf('192.0.2.1'))),
    ).resolves.toEqual({
      code: status.OK,
    });

    const lockouts = await auditRows(db.dataSource, SIGN_IN_LOCKED_OUT);
    expect(lockouts).toHaveLength(1);
    expect(JSON.parse(lockouts[0]?.details ?? '{}')).toMatchObject({ scope: 'account', failures: 3 });
    expect(await auditRows(db.dataSource, 'user.login-failed')).toHaveLength(3);

    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 200));
    await expect(
      outcome(signIn.login('locked.out', 'Locked.Out password!', originOf('192.0.2.1'))),
    ).resolves.toEqual({
      code: status.OK,
    });
  });

  it('locks an unknown name like a real one without ever locking a real account', async () => {
    for (const name of ['nobody', 'FLOTILLA\\nobody', 'nobody@flotilla.test'])
      await expect(outcome(signIn.login(name, 'wrong password!!', originOf('203.0.113.1')))).resolves.toEqual(
        {
          code: status.UNAUTHENTICATED,
        },
      );
    await expect(
      outcome(signIn.login('NOBODY', 'wrong password!!', originOf('203.0.113.2'))),
    ).resolves.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    await expect(
      outcome(signIn.login('Bystander', 'Bystander password!', originOf('203.0.113.1'))),
    ).resolves.toEqual({
      code: status.OK,
    });
    const keys = await db.dataSource.query<{ throttle_key: string }[]>(
      'SELECT throttle_key FROM sign_in_throttle',
    );
    expect(keys.map((row) => row.throttle_key).join()).not.toContain('nobody');
  });

  it('never lets a directory form of a name lock the local account of the same bare name', async () => {
    await createTestUser(services, 'Shadowed', [Role.Deployer]);
    for (const name of ['FLOTILLA\\shadowed', 'shadowed@flotilla.test', 'FLOTILLA\\Shadowed'])
      await signIn.login(name, 'wrong password!!', originOf('203.0.113.7')).catch(() => undefined);
    await expect(
      outcome(signIn.login('shadowed@flotilla.test', 'x', originOf('203.0.113.7'))),
    ).resolves.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    await expect(
      outcome(signIn.login('shadowed', 'Shadowed password!', originOf('203.0.113.7'))),
    ).resolves.toEqual({
      code: status.OK,
    });
  });

  it('forgets the failures of an account that signs in', async () => {
    await createTestUser(services, 'Forgetful', [Role.Deployer]);
    for (let round = 0; round < 3; round++) {
      await signIn.login('Forgetful', 'wrong password!!', originOf('192.0.2.9')).catch(() => undefined);
      await signIn.login('Forgetful', 'wrong password!!', originOf('192.0.2.9')).catch(() => undefined);
      await expect(
        outcome(signIn.login('forgetful', 'Forgetful password!', originOf('192.0.2.9'))),
      ).resolves.toEqual({
        code: status.OK,
      });
    }
    expect(await auditRows(db.dataSource, SIGN_IN_LOCKED_OUT)).toEqual([]);
  });
});
