import { status } from '@grpc/grpc-js';

import { Role } from '@flotilla/api-interfaces';
import { systemIdentity } from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import { INVALID_CREDENTIALS, PASSWORD_CHANGE_REQUIRED_MESSAGE } from '../sessions/session.service';
import {
  auditRows,
  AuthServices,
  clearAudit,
  createAuthServices,
  originOf,
  rpcFailure,
} from '../testing/auth-services.fixture';

import { PasswordChangeService } from './password-change.service';

const FIRST = 'the generated one 123';
const origin = originOf('192.0.2.30');

describe(PasswordChangeService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let sut: PasswordChangeService;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    sut = services.passwordChangeService;
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  /** A fresh account that must change FIRST before it signs in. */
  async function mustChange(username: string): Promise<void> {
    await services.userService.createAccount(systemIdentity('spec'), {
      username,
      displayName: username,
      password: FIRST,
      roles: [Role.Administrator],
      mustChangePassword: true,
    });
  }
  const login = (username: string, password: string) =>
    services.sessionService.login(username, password, origin);
  const flagOf = async (username: string) =>
    (await db.dataSource.getRepository(UserEntity).findOneByOrFail({ username })).mustChangePassword;

  it('refuses sign-in with the right password until it is changed (PERMISSION_DENIED, audited), a wrong one as always', async () => {
    await mustChange('first.admin');

    await expect(rpcFailure(login('first.admin', FIRST))).resolves.toEqual({
      code: status.PERMISSION_DENIED,
      message: PASSWORD_CHANGE_REQUIRED_MESSAGE,
    });
    // A wrong password learns nothing about the pending change.
    await expect(rpcFailure(login('first.admin', 'not the password'))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_CREDENTIALS,
    });
    await expect(auditRows(db.dataSource, 'user.login-refused')).resolves.toEqual([
      expect.objectContaining({ actorName: 'first.admin', clientIp: '192.0.2.30' }),
    ]);
    await expect(auditRows(db.dataSource, 'user.login')).resolves.toEqual([]);
  });

  it('changes it with the current password: audited, the old one stops working, the new one signs in', async () => {
    await mustChange('second.admin');

    await sut.change(
      { username: 'second.admin', currentPassword: FIRST, newPassword: 'my own passphrase' },
      origin,
    );

    expect(await flagOf('second.admin')).toBe(false);
    await expect(auditRows(db.dataSource, 'user.password-changed')).resolves.toEqual([
      expect.objectContaining({ actorName: 'second.admin', details: '{"wasRequired":true}' }),
    ]);
    await expect(rpcFailure(login('second.admin', FIRST))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(login('second.admin', 'my own passphrase')).resolves.toMatchObject({
      user: { username: 'second.admin' },
    });
  });

  it('refuses a wrong current password like a failed sign-in, audited, and changes nothing', async () => {
    await mustChange('third.admin');

    await expect(
      rpcFailure(
        sut.change(
          { username: 'third.admin', currentPassword: 'guess', newPassword: 'my own passphrase' },
          origin,
        ),
      ),
    ).resolves.toEqual({ code: status.UNAUTHENTICATED, message: INVALID_CREDENTIALS });
    await expect(
      rpcFailure(
        sut.change({ username: 'nobody', currentPassword: FIRST, newPassword: 'my own passphrase' }, origin),
      ),
    ).resolves.toEqual({ code: status.UNAUTHENTICATED, message: INVALID_CREDENTIALS });

    expect(await flagOf('third.admin')).toBe(true);
    await expect(auditRows(db.dataSource, 'user.password-change-failed')).resolves.toHaveLength(2);
    await expect(rpcFailure(login('third.admin', FIRST))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
  });

  it('refuses a new password that breaks the policy or repeats the current one', async () => {
    await mustChange('fourth.admin');
    const attempt = (newPassword: string) =>
      rpcFailure(sut.change({ username: 'fourth.admin', currentPassword: FIRST, newPassword }, origin));

    await expect(attempt('short')).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'Password must be at least 12 characters',
    });
    await expect(attempt(FIRST)).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'The new password must differ from the current one',
    });
    expect(await flagOf('fourth.admin')).toBe(true);
  });

  it('lets one of two concurrent changes from the same current password win', async () => {
    await mustChange('fifth.admin');
    const outcomes = await Promise.allSettled(
      ['first passphrase A', 'second passphrase B'].map((newPassword) =>
        sut.change({ username: 'fifth.admin', currentPassword: FIRST, newPassword }, origin),
      ),
    );

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    await expect(auditRows(db.dataSource, 'user.password-changed')).resolves.toHaveLength(1);
  });
});
