import { Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import type { DataSource, EntityManager } from 'typeorm';

import type { AuditEventInput, AuditRecorder } from '@flotilla/audit/outbox';

import type { CredentialVerifier } from '../credentials/credential-verifier';
import type { SessionsRepository } from '../persistence/sessions.repository';
import type { UsersRepository } from '../persistence/users.repository';
import type { SignInThrottle } from '../throttle/sign-in-throttle';
import { rpcFailure } from '../testing/auth-services.fixture';

import { INVALID_CREDENTIALS, SessionService } from './session.service';

/** A database whose transactions run the work, or fail with the given error before it. */
function databaseFailingWith(error?: Error): DataSource {
  return {
    transaction: (work: (manager: EntityManager) => Promise<unknown>) =>
      error ? Promise.reject(error) : work({} as EntityManager),
  } as unknown as DataSource;
}

const refusingVerifier: CredentialVerifier = { verify: () => Promise.resolve(undefined) };
/** Lets every attempt through to the password check (the throttle has specs of its own). */
const noThrottle = {
  attempt: <T>(_name: string, _origin: unknown, check: () => Promise<T | undefined>) => check(),
} as unknown as SignInThrottle;

function sessionServiceOver(dataSource: DataSource, recorded: AuditEventInput[] = []): SessionService {
  const audit = {
    record: (_manager: EntityManager, event: AuditEventInput) => {
      recorded.push(event);
      return Promise.resolve();
    },
  } as unknown as AuditRecorder;
  return new SessionService(
    dataSource,
    refusingVerifier,
    noThrottle,
    {} as SessionsRepository,
    {} as UsersRepository,
    audit,
    8,
  );
}

describe(`${SessionService.name} failed sign-in`, () => {
  let loggedErrors: string[];

  beforeEach(() => {
    loggedErrors = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      loggedErrors.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('records the attempt with where it came from, escaping what the trail cannot hold', async () => {
    const recorded: AuditEventInput[] = [];
    const sut = sessionServiceOver(databaseFailingWith(), recorded);

    await expect(
      rpcFailure(
        sut.login('ev\u0000il', 'whatever', { clientIp: '192.0.2.7', forwardedFor: '<script>x</script>' }),
      ),
    ).resolves.toEqual({ code: status.UNAUTHENTICATED, message: INVALID_CREDENTIALS });
    expect(recorded).toEqual([
      {
        actor: {
          userId: '',
          username: '',
          clientIp: '192.0.2.7',
          forwardedFor: '<script>x</script>',
          permissions: [],
        },
        action: 'user.login-failed',
        resourceType: 'User',
        resourceId: 'ev\\x00il',
        details: { username: 'ev\\x00il' },
      },
    ]);
    expect(loggedErrors).toEqual([]);
  });

  it('still answers 401 when the audit write fails for a reason other than the database being gone, and says so loudly', async () => {
    const sut = sessionServiceOver(
      databaseFailingWith(new Error('relation "auth_audit_outbox" does not exist')),
    );

    await expect(rpcFailure(sut.login('someone', 'whatever', { clientIp: '192.0.2.7' }))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_CREDENTIALS,
    });
    expect(loggedErrors).toEqual([
      'AUDIT LOST: failed sign-in for "someone" from 192.0.2.7 could not be recorded: ' +
        'relation "auth_audit_outbox" does not exist',
    ]);
  });

  it('passes a lost database on (UNAVAILABLE, so retried), giving no unaudited verdict on the credentials', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const sut = sessionServiceOver(databaseFailingWith(refused));

    await expect(sut.login('someone', 'whatever', { clientIp: '192.0.2.7' })).rejects.toBe(refused);
    expect(loggedErrors).toEqual([]);
  });
});
