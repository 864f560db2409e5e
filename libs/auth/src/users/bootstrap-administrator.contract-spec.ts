import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { UsersRepository } from '../persistence/users.repository';
import { auditRows, createAuthServices, originOf } from '../testing/auth-services.fixture';

import { BootstrapAdministrator } from './bootstrap-administrator';

describe(BootstrapAdministrator.name, () => {
  let db: MigratedTestDatabase;

  beforeEach(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
  });
  afterEach(() => db.dispose());

  function replica(adminPassword?: string): BootstrapAdministrator {
    const services = createAuthServices(db.dataSource);
    return new BootstrapAdministrator(db.dataSource, new UsersRepository(), services.userService, {
      sessionHours: 12,
      adminUsername: 'admin',
      adminPassword,
    });
  }

  it('creates the administrator exactly once when several replicas start at the same moment', async () => {
    const outcomes = await Promise.all(
      [replica(), replica(), replica(), replica()].map((sut) => sut.ensure()),
    );

    const created = outcomes.filter((outcome) => outcome.created);
    expect(created).toHaveLength(1);
    const rows = await db.dataSource.query<unknown[]>('SELECT username, roles FROM users');
    expect(rows).toEqual([{ username: 'admin', roles: '["Administrator"]' }]);
    expect(await auditRows(db.dataSource, 'user.created')).toHaveLength(1);

    // The generated password is the one that works.
    const [first] = created;
    const password = first?.created ? first.generatedPassword : undefined;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const session = await createAuthServices(db.dataSource).sessionService.login(
      'admin',
      password ?? '',
      originOf(''),
    );
    expect(session.user.roles).toEqual(['Administrator']);
  });

  it('uses a configured password without reporting it, and does nothing on the next start', async () => {
    await expect(replica('configured password 1').ensure()).resolves.toEqual({
      created: true,
      username: 'admin',
      generatedPassword: undefined,
    });
    await expect(replica('configured password 1').ensure()).resolves.toEqual({ created: false });
    await expect(
      createAuthServices(db.dataSource).sessionService.login('admin', 'configured password 1', originOf('')),
    ).resolves.toBeDefined();
  });

  it('refuses to start with a configured password that breaks the policy', async () => {
    await expect(replica('short').ensure()).rejects.toThrow(/FLOTILLA_ADMIN_USERNAME\/PASSWORD.*at least 12/);
  });
});
