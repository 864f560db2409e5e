import { status } from '@grpc/grpc-js';

import { Role } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { AUTH_AUDIT_SOURCE, AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import {
  auditRows,
  AuthServices,
  callerFor,
  clearAudit,
  createAuthServices,
  createTestUser,
  rpcFailure,
} from '../testing/auth-services.fixture';
import type { AuthUser } from '../users/auth-user';
import { CLUSTER_SETTINGS_TABLE } from './cluster-setting.entity';
import { TrustedProxiesNotices, TrustedProxiesService } from './trusted-proxies.service';

/** Migrating a fresh database takes up to a minute on Babelfish on a busy 2-core machine. */
const MIGRATION_RUN_MS = 120_000;

describe(TrustedProxiesService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let admin: AuthUser;
  let deployer: AuthUser;
  let notices: number;
  let sut: TrustedProxiesService;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    admin = await createTestUser(services, 'root', [Role.Administrator]);
    deployer = await createTestUser(services, 'ci.bot', [Role.Deployer]);
  }, MIGRATION_RUN_MS);
  afterAll(() => db.dispose());
  beforeEach(async () => {
    await clearAudit(db.dataSource);
    await db.dataSource.query(`DELETE FROM ${CLUSTER_SETTINGS_TABLE}`);
    notices = 0;
    const counting: TrustedProxiesNotices = { changed: () => Promise.resolve(void notices++) };
    sut = new TrustedProxiesService(db.dataSource, new AuditRecorder(AUTH_AUDIT_SOURCE), counting, [
      '127.0.0.1',
    ]);
  });

  it('answers the environment default until the setting is changed', async () => {
    await expect(sut.get()).resolves.toEqual({
      entries: ['127.0.0.1'],
      source: 'environment',
      updatedAt: '',
      updatedBy: '',
    });
  });

  it('stores the list canonical, audits the old and new values, and tells the gateways', async () => {
    const stored = await sut.set(callerFor(admin, '192.0.2.9'), [
      '10.0.0.5',
      '::FFFF:10.1.0.0/112',
      '2001:DB8::/32',
    ]);
    expect(stored).toMatchObject({
      entries: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32'],
      source: 'setting',
      updatedBy: 'root',
    });
    expect(Date.parse(stored.updatedAt)).not.toBeNaN();
    await expect(sut.get()).resolves.toEqual(stored);
    expect(notices).toBe(1);

    // An empty list is a setting too (trust no proxy), not "back to the environment".
    await expect(sut.set(callerFor(admin), [])).resolves.toMatchObject({ entries: [], source: 'setting' });
    const events = await auditRows(db.dataSource, 'settings.trusted-proxies-changed');
    expect(events.map((event) => JSON.parse(event.details) as unknown)).toEqual([
      { old: ['127.0.0.1'], oldSource: 'environment', new: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32'] },
      { old: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32'], oldSource: 'setting', new: [] },
    ]);
    expect(events[0]).toMatchObject({ actorId: admin.id, clientIp: '192.0.2.9', outcome: 'success' });
  });

  it('refuses an entry that is not an address, a block or a named set, and a user without AdministerSystem', async () => {
    await expect(rpcFailure(sut.set(callerFor(admin), ['10.0.0.5', 'proxy.example.com']))).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: expect.stringContaining(
        'entries[1] ("proxy.example.com"): is not an IPv4 or IPv6 address',
      ) as string,
    });
    await expect(rpcFailure(sut.set(callerFor(deployer), ['10.0.0.5']))).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(sut.get()).resolves.toMatchObject({ source: 'environment' });
    expect(await auditRows(db.dataSource)).toEqual([]);
    expect(notices).toBe(0);
  });

  it('says how a token was signed in for the trail: a local password, or an API key by its id', async () => {
    const session = await services.sessionService.login('root', 'root password!', { clientIp: '192.0.2.9' });
    await expect(services.tokenValidator.validate(session.token)).resolves.toMatchObject({
      credential: 'session',
      signInMethod: 'password',
    });
    const key = await services.apiKeyService.create(callerFor(deployer), 'nightly');
    await expect(services.tokenValidator.validate(key.secret)).resolves.toMatchObject({
      credential: 'api-key',
      signInMethod: 'api-key',
      apiKeyId: key.key?.id,
    });
    // The sign-in's own event says how, too.
    expect(await auditRows(db.dataSource, 'user.login')).toEqual([
      expect.objectContaining({ actorId: admin.id, signInMethod: 'password', clientIp: '192.0.2.9' }),
    ]);
  });
});
