import { status } from '@grpc/grpc-js';

import { Role } from '@flotilla/api-interfaces';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { SessionEntity } from '../persistence/session.entity';
import { INVALID_CREDENTIALS, PASSWORD_CHANGE_REQUIRED_MESSAGE } from '../sessions/session.service';
import {
  auditRows,
  AuthServices,
  callerFor,
  clearAudit,
  createAuthServices,
  createTestUser,
  originOf,
  rpcFailure,
} from '../testing/auth-services.fixture';

import {
  AccountAdministrationService,
  CANNOT_DISABLE_LAST_ADMINISTRATOR,
  CANNOT_DISABLE_SELF,
} from './account-administration.service';
import type { TokenRevocation, TokenRevocations } from './account-revocations';
import { AuthUser, toAuthUser } from './auth-user';

/** Keeps what would have gone to the gateways. */
class RecordedRevocations implements TokenRevocations {
  readonly notices: TokenRevocation[] = [];
  published(revocation: TokenRevocation): Promise<void> {
    this.notices.push(revocation);
    return Promise.resolve();
  }
}

const origin = originOf('192.0.2.77');
const passwordOf = (user: AuthUser) => `${user.username} password!`;

describe(AccountAdministrationService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let revocations: RecordedRevocations;
  let sut: AccountAdministrationService;
  let admin: AuthUser;
  let deployer: AuthUser;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    revocations = new RecordedRevocations();
    services = createAuthServices(db.dataSource, 12, revocations);
    sut = services.accountAdministration;
    admin = await createTestUser(services, 'first.admin', [Role.Administrator]);
    deployer = await createTestUser(services, 'deployer', [Role.Deployer]);
  });
  afterAll(() => db.dispose());
  beforeEach(async () => {
    await clearAudit(db.dataSource);
    revocations.notices.length = 0;
  });

  const signIn = (user: AuthUser, password = passwordOf(user)) =>
    services.sessionService.login(user.username, password, origin);
  const validate = (token: string) => services.tokenValidator.validate(token);
  const sessionsOf = (user: AuthUser) =>
    db.dataSource.getRepository(SessionEntity).countBy({ userId: user.id });

  it('disables: sign-in refused like a wrong password, sessions and API keys stop; re-enable lets them back', async () => {
    const user = await createTestUser(services, 'to.disable');
    const session = await signIn(user);
    const key = await services.apiKeyService.create(callerFor(user), 'ci');

    const disabled = await sut.disable(callerFor(admin, '203.0.113.5'), user.id);

    expect(disabled).toMatchObject({ id: user.id, isActive: false });
    await expect(rpcFailure(signIn(user))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_CREDENTIALS,
    });
    await expect(rpcFailure(validate(session.token))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(rpcFailure(validate(key.secret))).resolves.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await sessionsOf(user)).toBe(0);
    expect(revocations.notices).toEqual([{ userId: user.id, reason: 'user-disabled' }]);
    await expect(auditRows(db.dataSource, 'user.disabled')).resolves.toEqual([
      expect.objectContaining({
        actorId: admin.id,
        resourceId: user.id,
        clientIp: '203.0.113.5',
        details: JSON.stringify({ username: 'to.disable', sessionsEnded: 1 }),
      }),
    ]);

    // Disabling again changes nothing and is not audited again.
    await sut.disable(callerFor(admin), user.id);
    await expect(auditRows(db.dataSource, 'user.disabled')).resolves.toHaveLength(1);

    await expect(sut.enable(callerFor(admin), user.id)).resolves.toMatchObject({ isActive: true });
    await expect(signIn(user)).resolves.toMatchObject({ user: { id: user.id } });
    await expect(validate(key.secret)).resolves.toMatchObject({ userId: user.id, credential: 'api-key' });
    // The session ended by the disable does not come back.
    await expect(rpcFailure(validate(session.token))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(auditRows(db.dataSource, 'user.enabled')).resolves.toEqual([
      expect.objectContaining({ actorId: admin.id, resourceId: user.id }),
    ]);
  });

  it('refuses to disable oneself or the last enabled Administrator (FAILED_PRECONDITION), and changes nothing', async () => {
    await expect(rpcFailure(sut.disable(callerFor(admin), admin.id))).resolves.toEqual({
      code: status.FAILED_PRECONDITION,
      message: CANNOT_DISABLE_SELF,
    });
    // A user administrator who is not an Administrator cannot disable the only Administrator.
    const userEditor = { ...callerFor(deployer), permissions: ['UserEdit'] };
    await expect(rpcFailure(sut.disable(userEditor, admin.id))).resolves.toEqual({
      code: status.FAILED_PRECONDITION,
      message: CANNOT_DISABLE_LAST_ADMINISTRATOR,
    });
    await expect(signIn(admin)).resolves.toMatchObject({ user: { id: admin.id } });

    // With a second enabled Administrator, the first can go.
    const second = await createTestUser(services, 'second.admin', [Role.Administrator]);
    await expect(sut.disable(callerFor(second), admin.id)).resolves.toMatchObject({ isActive: false });
    await expect(rpcFailure(sut.disable(userEditor, second.id))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await sut.enable(callerFor(second), admin.id);
    await expect(auditRows(db.dataSource, 'user.disabled')).resolves.toHaveLength(1);
  });

  it('lets only one of two Administrators disabling each other at once succeed', async () => {
    const left = await createTestUser(services, 'left.admin', [Role.Administrator]);
    const right = await createTestUser(services, 'right.admin', [Role.Administrator]);
    // Only these two stay enabled: the race is for the last enabled Administrator.
    await sut.disable(callerFor(left), admin.id);
    const others = (await services.users.list(db.dataSource.manager)).filter(
      (row) => row.isActive && row.roles.includes('Administrator') && ![left.id, right.id].includes(row.id),
    );
    for (const other of others) await sut.disable(callerFor(left), other.id);

    const outcomes = await Promise.allSettled([
      sut.disable(callerFor(left), right.id),
      sut.disable(callerFor(right), left.id),
    ]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const enabledAdministrators = (await services.users.list(db.dataSource.manager)).filter(
      (row) => row.isActive && row.roles.includes('Administrator'),
    );
    expect(enabledAdministrators).toHaveLength(1);
    const [survivor] = enabledAdministrators;
    if (survivor) await sut.enable(callerFor(toAuthUser(survivor)), admin.id);
  });

  it("revokes all of a user's sessions, not their API keys nor anyone else's sessions", async () => {
    const user = await createTestUser(services, 'many.sessions');
    const sessions = [await signIn(user), await signIn(user), await signIn(user)];
    const key = await services.apiKeyService.create(callerFor(user), 'kept');
    const bystander = await signIn(deployer);

    await expect(sut.revokeSessions(callerFor(admin), user.id)).resolves.toBe(3);

    for (const session of sessions)
      await expect(rpcFailure(validate(session.token))).resolves.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    await expect(validate(key.secret)).resolves.toMatchObject({ userId: user.id });
    await expect(validate(bystander.token)).resolves.toMatchObject({ userId: deployer.id });
    await expect(signIn(user)).resolves.toMatchObject({ user: { id: user.id } });
    expect(revocations.notices).toEqual([{ userId: user.id, reason: 'sessions-revoked' }]);
    await expect(auditRows(db.dataSource, 'user.sessions-revoked')).resolves.toEqual([
      expect.objectContaining({
        actorId: admin.id,
        resourceId: user.id,
        details: JSON.stringify({ username: 'many.sessions', sessionsEnded: 3 }),
      }),
    ]);
  });

  it('resets a local password: sessions end, the old one fails, the new one must be changed first', async () => {
    const user = await createTestUser(services, 'forgetful');
    const session = await signIn(user);
    const reset = 'reset by the admin 42';

    await expect(sut.resetPassword(callerFor(admin), user.id, reset)).resolves.toMatchObject({
      mustChangePassword: true,
    });

    await expect(rpcFailure(validate(session.token))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(rpcFailure(signIn(user))).resolves.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(rpcFailure(signIn(user, reset))).resolves.toEqual({
      code: status.PERMISSION_DENIED,
      message: PASSWORD_CHANGE_REQUIRED_MESSAGE,
    });
    await services.passwordChangeService.change(
      { username: user.username, currentPassword: reset, newPassword: 'chosen by the user' },
      origin,
    );
    await expect(signIn(user, 'chosen by the user')).resolves.toMatchObject({ user: { id: user.id } });
    expect(revocations.notices).toEqual([{ userId: user.id, reason: 'password-reset' }]);
    const audited = await auditRows(db.dataSource, 'user.password-reset');
    expect(audited).toEqual([expect.objectContaining({ actorId: admin.id, resourceId: user.id })]);
    expect(JSON.stringify(audited)).not.toContain(reset);
  });

  it('refuses a reset password that breaks the policy, and unknown users', async () => {
    await expect(rpcFailure(sut.resetPassword(callerFor(admin), deployer.id, 'short'))).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'Password must be at least 12 characters',
    });
    for (const work of [
      () => sut.disable(callerFor(admin), 'no-such-user'),
      () => sut.enable(callerFor(admin), 'no-such-user'),
      () => sut.revokeSessions(callerFor(admin), ''),
      () => sut.resetPassword(callerFor(admin), 'no-such-user', 'long enough password'),
    ])
      await expect(rpcFailure(work())).resolves.toMatchObject({ code: status.NOT_FOUND });
    expect(revocations.notices).toEqual([]);
  });

  it('requires UserEdit for every change', async () => {
    const target = await createTestUser(services, 'untouched');
    for (const work of [
      () => sut.disable(callerFor(deployer), target.id),
      () => sut.enable(callerFor(deployer), target.id),
      () => sut.revokeSessions(callerFor(deployer), target.id),
      () => sut.resetPassword(callerFor(deployer), target.id, 'long enough password'),
    ])
      await expect(rpcFailure(work())).resolves.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(signIn(target)).resolves.toMatchObject({ user: { id: target.id } });
  });
});
