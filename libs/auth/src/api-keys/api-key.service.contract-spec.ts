import { status } from '@grpc/grpc-js';

import { Role } from '@flotilla/api-interfaces';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { ApiKeyEntity } from '../persistence/api-key.entity';
import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { hashSecret } from '../tokens/secret-tokens';
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

import type { TokenRevocation } from '../users/account-revocations';

import { API_KEY_MAX_LIFETIME_DAYS, ApiKeyService, toApiKeyReply } from './api-key.service';

describe(ApiKeyService.name, () => {
  let db: MigratedTestDatabase;
  let services: AuthServices;
  let sut: ApiKeyService;
  let deployer: AuthUser;
  let auditor: AuthUser;
  let admin: AuthUser;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    services = createAuthServices(db.dataSource);
    sut = services.apiKeyService;
    deployer = await createTestUser(services, 'ci.bot', [Role.Deployer]);
    auditor = await createTestUser(services, 'reviewer', [Role.Auditor]);
    admin = await createTestUser(services, 'root', [Role.Administrator]);
  });
  afterAll(() => db.dispose());
  beforeEach(() => clearAudit(db.dataSource));

  it('creates a key whose secret is shown once, stored only as a hash, and authenticates as its owner', async () => {
    const created = await sut.create(callerFor(deployer, '192.0.2.50'), '  nightly build  ');

    expect(created.secret).toMatch(/^API-[A-Z2-7]{32}$/);
    expect(created.key).toMatchObject({ userId: deployer.id, purpose: 'nightly build' });
    const stored = await db.dataSource
      .getRepository(ApiKeyEntity)
      .find({ select: { keyHash: true }, where: { id: created.key.id } });
    expect(stored).toEqual([{ keyHash: hashSecret(created.secret) }]);
    await expect(services.tokenValidator.validate(created.secret)).resolves.toMatchObject({
      userId: deployer.id,
      username: 'ci.bot',
      credential: 'api-key',
    });
    expect(await auditRows(db.dataSource)).toEqual([
      expect.objectContaining({
        action: 'api-key.created',
        resourceId: created.key.id,
        actorId: deployer.id,
        clientIp: '192.0.2.50',
      }),
    ]);
    expect(JSON.stringify(await auditRows(db.dataSource))).not.toContain(created.secret);
  });

  it('lists only the caller’s own active keys', async () => {
    const own = await sut.create(callerFor(auditor), 'export script');
    await sut.create(callerFor(deployer), 'someone else');

    expect((await sut.list(callerFor(auditor))).map(({ key }) => key.id)).toEqual([own.key.id]);
  });

  it('revokes: the key stops authenticating, a second revoke changes nothing, both audited once', async () => {
    const created = await sut.create(callerFor(deployer), 'to revoke');
    await clearAudit(db.dataSource);

    await sut.revoke(callerFor(deployer), created.key.id);
    await sut.revoke(callerFor(deployer), created.key.id);

    await expect(rpcFailure(services.tokenValidator.validate(created.secret))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    expect((await sut.list(callerFor(deployer))).map(({ key }) => key.id)).not.toContain(created.key.id);
    expect((await auditRows(db.dataSource)).map((row) => row.action)).toEqual(['api-key.revoked']);
  });

  it('audits one revoke when two arrive at once for the same key', async () => {
    const created = await sut.create(callerFor(deployer), 'revoked twice at once');
    await clearAudit(db.dataSource);

    await Promise.all([
      sut.revoke(callerFor(deployer), created.key.id),
      sut.revoke(callerFor(admin), created.key.id),
    ]);

    expect((await auditRows(db.dataSource)).map((row) => row.action)).toEqual(['api-key.revoked']);
    await expect(rpcFailure(services.tokenValidator.validate(created.secret))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('hides other users’ keys from revocation unless the caller administers the system', async () => {
    const created = await sut.create(callerFor(deployer), 'protected');

    await expect(rpcFailure(sut.revoke(callerFor(auditor), created.key.id))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(services.tokenValidator.validate(created.secret)).resolves.toMatchObject({
      userId: deployer.id,
    });

    await sut.revoke(callerFor(admin), created.key.id);
    await expect(rpcFailure(services.tokenValidator.validate(created.secret))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('refuses a blank purpose, an anonymous caller and an unknown key id', async () => {
    await expect(rpcFailure(sut.create(callerFor(deployer), '   '))).resolves.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(rpcFailure(sut.create({ ...callerFor(deployer), userId: '' }, 'x'))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(rpcFailure(sut.revoke(callerFor(deployer), 'no-such-key'))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('does not accept an unknown API key', async () => {
    await expect(
      rpcFailure(services.tokenValidator.validate('API-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')),
    ).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('refuses an expiry that is not a date, is past, or lies more than the maximum ahead', async () => {
    const farFuture = new Date(Date.now() + (API_KEY_MAX_LIFETIME_DAYS + 2) * 86_400_000).toISOString();
    for (const expiresAt of ['tomorrow', '2001-01-01T00:00:00Z', farFuture])
      await expect(
        rpcFailure(sut.create(callerFor(deployer), 'bad expiry', expiresAt)),
      ).resolves.toMatchObject({
        code: status.INVALID_ARGUMENT,
      });
    expect((await sut.list(callerFor(deployer))).map(({ key }) => key.purpose)).not.toContain('bad expiry');
  });

  it('refuses a key past its expiry by the database clock like a revoked one, and lists it as expired', async () => {
    const expiresAt = new Date(Math.ceil((Date.now() + 1_500) / 1_000) * 1_000);
    const expiring = await sut.create(callerFor(auditor), 'short lived', expiresAt.toISOString());
    const lasting = await sut.create(callerFor(auditor), 'no expiry');

    expect(expiring.key.expiresAt?.getTime()).toBe(expiresAt.getTime());
    expect(lasting.key.expiresAt).toBeNull();
    await expect(services.tokenValidator.validate(expiring.secret)).resolves.toMatchObject({
      userId: auditor.id,
    });
    await expect(auditRows(db.dataSource, 'api-key.created')).resolves.toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resourceId: expiring.key.id,
          details: JSON.stringify({
            purpose: 'short lived',
            userId: auditor.id,
            expiresAt: expiresAt.toISOString(),
          }),
        }),
      ]),
    );

    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 500));

    await expect(rpcFailure(services.tokenValidator.validate(expiring.secret))).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(services.tokenValidator.validate(lasting.secret)).resolves.toMatchObject({
      userId: auditor.id,
    });
    const listed = await sut.list(callerFor(auditor));
    expect(listed.find(({ key }) => key.id === expiring.key.id)).toMatchObject({ expired: true });
    expect(listed.find(({ key }) => key.id === lasting.key.id)).toMatchObject({ expired: false });
    expect(toApiKeyReply(expiring.key, true)).toMatchObject({
      expiresAt: expiresAt.toISOString(),
      expired: true,
    });
    expect(toApiKeyReply(lasting.key)).toMatchObject({ expiresAt: '', expired: false });
  });

  it('tells the gateways which key was revoked, once, after the revoke committed', async () => {
    const revocations: TokenRevocation[] = [];
    const notifying = createAuthServices(db.dataSource, 12, {
      published: async (revocation) => {
        // Committed by now: a gateway asking again must hear "revoked".
        await expect(rpcFailure(services.tokenValidator.validate(created.secret))).resolves.toMatchObject({
          code: status.UNAUTHENTICATED,
        });
        revocations.push(revocation);
      },
    }).apiKeyService;
    const created = await notifying.create(callerFor(deployer), 'notified');

    await notifying.revoke(callerFor(deployer), created.key.id);
    await notifying.revoke(callerFor(deployer), created.key.id);

    expect(revocations).toEqual([{ tokenHash: hashSecret(created.secret), reason: 'api-key-revoked' }]);
  });
});
