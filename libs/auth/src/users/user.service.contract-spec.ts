import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';

import { Role } from '@flotilla/api-interfaces';
import { isUniqueViolation } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UserEntity } from '../persistence/user.entity';
import {
  auditRows,
  AuthServices,
  callerFor,
  clearAudit,
  createAuthServices,
  createTestUser,
  originOf,
  rpcDetailsOf,
  rpcFailure,
} from '../testing/auth-services.fixture';

import type { AuthUser } from './auth-user';
import { UserService } from './user.service';

describe(UserService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let sut: UserService;
  let admin: AuthUser;
  let deployer: AuthUser;
  const newUser = {
    username: 'Ops.Lead',
    displayName: 'Ops Lead',
    password: 'a long enough password',
    roles: ['Deployer'],
  };

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    sut = services.userService;
    admin = await createTestUser(services, 'admin', [Role.Administrator]);
    deployer = await createTestUser(services, 'deployer', [Role.Deployer]);
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  const userCount = () => db.dataSource.getRepository(UserEntity).count();

  it('creates a user who can then sign in, audited as user.created without the password', async () => {
    const created = await sut.create(callerFor(admin, '192.0.2.1'), newUser);

    expect(created).toMatchObject({
      username: 'Ops.Lead',
      displayName: 'Ops Lead',
      roles: ['Deployer'],
      isActive: true,
    });
    await expect(
      services.sessionService.login('ops.lead', newUser.password, originOf('')),
    ).resolves.toMatchObject({
      user: { id: created.id },
    });
    const [event] = await auditRows(db.dataSource, 'user.created');
    expect(event).toMatchObject({ actorId: admin.id, resourceId: created.id, clientIp: '192.0.2.1' });
    expect(event?.details).not.toContain(newUser.password);
  });

  it('answers ALREADY_EXISTS for a username differing only in case, leaving no row behind', async () => {
    const before = await userCount();

    await expect(
      rpcFailure(sut.create(callerFor(admin), { ...newUser, username: 'OPS.LEAD' })),
    ).resolves.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    expect(await userCount()).toBe(before);
    expect(await auditRows(db.dataSource)).toEqual([]);
  });

  it('answers ALREADY_EXISTS to the losers of concurrent creations of one username', async () => {
    const before = await userCount();
    const outcomes = await Promise.allSettled(
      ['race.user', 'Race.User', 'RACE.user'].map((username) =>
        sut.create(callerFor(admin), { ...newUser, username }),
      ),
    );

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(rpcDetailsOf(outcome.reason)).toMatchObject({ code: status.ALREADY_EXISTS });
    }
    expect(await userCount()).toBe(before + 1);
    expect(await auditRows(db.dataSource, 'user.created')).toHaveLength(1);
  });

  it('makes a username one account in any case by its lower-cased form, not by the collation', async () => {
    // PostgreSQL compares text case-sensitively, SQL Server's default collation (and Babelfish's)
    // does not: the rule holds on both only because every row carries its lower-cased name and
    // every lookup and the unique index go through that column.
    const rows = await db.dataSource.getRepository(UserEntity).find();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.usernameNormalized).toBe(row.username.toLowerCase());
    await expect(services.users.findByUsername(db.dataSource.manager, 'oPS.LEAD')).resolves.toMatchObject({
      username: 'Ops.Lead',
    });

    const sameNameOtherCase = services.users.insert(db.dataSource.manager, {
      id: randomUUID(),
      username: 'ops.LEAD',
      displayName: 'x',
      passwordHash: null,
      roles: [],
      source: 'local',
    });
    const failure: unknown = await sameNameOtherCase.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isUniqueViolation(failure)).toBe(true);
  });

  it('requires UserEdit to create and UserView to list', async () => {
    await expect(
      rpcFailure(sut.create(callerFor(deployer), { ...newUser, username: 'x1' })),
    ).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(rpcFailure(sut.list({ ...callerFor(deployer), permissions: [] }))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    expect((await sut.list(callerFor(admin))).map((user) => user.username)).toEqual(
      expect.arrayContaining(['admin', 'deployer', 'Ops.Lead']),
    );
  });

  it('refuses a short password and unknown roles with INVALID_ARGUMENT', async () => {
    await expect(
      rpcFailure(sut.create(callerFor(admin), { ...newUser, username: 'x2', password: 'short' })),
    ).resolves.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(
      rpcFailure(sut.create(callerFor(admin), { ...newUser, username: 'x3', roles: ['Root'] })),
    ).resolves.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});
