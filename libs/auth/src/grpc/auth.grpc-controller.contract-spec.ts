import { Metadata, status } from '@grpc/grpc-js';
import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientGrpcProxy, ClientProxyFactory } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';

import { authV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, loadFlotillaConfig } from '@flotilla/platform/config';
import {
  FORWARDED_FOR_MAX_LENGTH,
  grpcClientOptions,
  grpcOptions,
  identityToMetadata,
  systemIdentity,
} from '@flotilla/platform/grpc';
import { createMigratedTestDatabase, freePort, MigratedTestDatabase } from '@flotilla/testing';

import { AuthModule } from '../auth.module';
import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { INVALID_CREDENTIALS, PASSWORD_CHANGE_REQUIRED_MESSAGE } from '../sessions/session.service';
import { auditRows, createAuthServices, rpcFailure } from '../testing/auth-services.fixture';

import { AuthGrpcController } from './auth.grpc-controller';

/** What the app's FlotillaConfigModule and DatabaseModule provide, pointed at the test database. */
function testInfrastructure(db: MigratedTestDatabase, auditPort: number): DynamicModule {
  const config = loadFlotillaConfig({
    FLOTILLA_DB_DIALECT: db.dialect,
    FLOTILLA_DB_URL: db.url,
    // Nothing listens there: audit events stay in the outbox, where this test reads them.
    FLOTILLA_AUDIT_GRPC_URL: `127.0.0.1:${auditPort}`,
    FLOTILLA_ADMIN_PASSWORD: 'grpc spec admin password',
    FLOTILLA_SESSION_HOURS: '2',
  });
  const providers = [
    { provide: FLOTILLA_CONFIG, useValue: config },
    { provide: DataSource, useValue: db.dataSource },
  ];
  @Module({})
  class TestInfrastructureModule {}
  return {
    module: TestInfrastructureModule,
    global: true,
    providers,
    exports: providers.map((p) => p.provide),
  };
}

describe(AuthGrpcController.name, () => {
  let db: MigratedTestDatabase;
  let server: INestMicroservice;
  let client: ClientGrpcProxy;
  let sut: authV1.AuthServiceClient;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations });
    const url = `127.0.0.1:${await freePort()}`;
    @Module({ imports: [testInfrastructure(db, await freePort()), AuthModule] })
    class TestAppModule {}
    server = await NestFactory.createMicroservice(TestAppModule, {
      ...grpcOptions('auth', url),
      // Errors only: an "Internal server error" answer must say in the output what threw (it failed
      // once in CI on Babelfish with nothing to go on, and never in 13 runs here).
      logger: ['error'],
    });
    await server.listen();
    client = ClientProxyFactory.create(grpcClientOptions('auth', url)) as unknown as ClientGrpcProxy;
    sut = client.getService<authV1.AuthServiceClient>(SERVICE_CONTRACTS.auth.serviceName);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await db?.dispose();
  });

  const fromGateway = (clientIp: string, principal?: authV1.Principal) =>
    identityToMetadata({
      userId: principal?.userId ?? '',
      username: principal?.username ?? '',
      clientIp,
      permissions: principal?.permissions ?? [],
    });

  it('signs in the bootstrap administrator over gRPC, resolves the token and creates a user', async () => {
    const login = await lastValueFrom(
      sut.login({ username: 'admin', password: 'grpc spec admin password' }, fromGateway('198.51.100.7')),
    );

    expect(login.user).toMatchObject({ username: 'admin', roles: ['Administrator'], isActive: true });
    expect(Date.parse(login.expiresAt)).toBeGreaterThan(Date.now() + 1.9 * 3_600_000);
    const principal = await lastValueFrom(sut.validateToken({ token: login.token }));
    expect(principal).toMatchObject({ username: 'admin', credential: 'session' });
    expect(principal.permissions).toContain('UserEdit');

    const created = await lastValueFrom(
      sut.createUser(
        { username: 'grpc.user', displayName: '', password: 'grpc user password', roles: ['Auditor'] },
        fromGateway('198.51.100.7', principal),
      ),
    );
    expect(created).toMatchObject({ username: 'grpc.user', displayName: 'grpc.user', roles: ['Auditor'] });
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
    await expect(
      rpcFailure(
        lastValueFrom(
          sut.createUser(
            { username: 'GRPC.USER', displayName: '', password: 'grpc user password', roles: [] },
            fromGateway('', principal),
          ),
        ),
      ),
    ).resolves.toMatchObject({ code: status.ALREADY_EXISTS });
    const users = await lastValueFrom(sut.listUsers({}, fromGateway('', principal)));
    expect(users.items.map((user) => user.username)).toEqual(['admin', 'grpc.user']);
  });

  it('carries UNAUTHENTICATED with the uniform message, and audits the failure with the client IP', async () => {
    await expect(
      rpcFailure(
        lastValueFrom(sut.login({ username: 'admin', password: 'nope' }, fromGateway('198.51.100.8'))),
      ),
    ).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_CREDENTIALS,
    });
    expect(await auditRows(db.dataSource, 'user.login-failed')).toEqual([
      expect.objectContaining({ clientIp: '198.51.100.8', details: '{"username":"admin"}' }),
    ]);
  });

  it('audits a failed sign-in whatever origin metadata arrives with, storing only a valid client IP', async () => {
    // What an older gateway sent for a hostile X-Forwarded-For: the header's text as the client IP.
    const hostile = new Metadata();
    hostile.set('x-flotilla-client-ip', '<script>x</script>');
    hostile.set('x-flotilla-forwarded-for', `198.51.100.30, ${'z'.repeat(2048)}`);
    await expect(
      rpcFailure(lastValueFrom(sut.login({ username: 'hostile', password: 'nope' }, hostile))),
    ).resolves.toEqual({ code: status.UNAUTHENTICATED, message: INVALID_CREDENTIALS });

    const [row] = (await auditRows(db.dataSource, 'user.login-failed')).filter(
      (r) => r.resourceId === 'hostile',
    );
    expect(row?.clientIp).toBe('');
    expect(row?.forwardedFor).toHaveLength(FORWARDED_FOR_MAX_LENGTH);
    expect(row?.forwardedFor).toMatch(/^198\.51\.100\.30, z+\.\.\.\[cut, 2063 characters\]\.\.\./);
  });

  it('issues, lists, uses and revokes an API key, then signs out', async () => {
    const login = await lastValueFrom(
      sut.login({ username: 'grpc.user', password: 'grpc user password' }, fromGateway('')),
    );
    const principal = await lastValueFrom(sut.validateToken({ token: login.token }));
    const asUser = fromGateway('198.51.100.9', principal);

    const created = await lastValueFrom(sut.createApiKey({ purpose: 'export', expiresAt: '' }, asUser));
    expect(created.secret).toMatch(/^API-/);
    await expect(lastValueFrom(sut.validateToken({ token: created.secret }))).resolves.toMatchObject({
      credential: 'api-key',
    });
    await expect(lastValueFrom(sut.listApiKeys({}, asUser))).resolves.toEqual({ items: [created.key] });

    await lastValueFrom(sut.revokeApiKey({ id: created.key?.id ?? '' }, asUser));
    await expect(
      rpcFailure(lastValueFrom(sut.validateToken({ token: created.secret }))),
    ).resolves.toMatchObject({
      code: status.UNAUTHENTICATED,
    });

    await lastValueFrom(sut.logout({ token: login.token }, asUser));
    await expect(rpcFailure(lastValueFrom(sut.validateToken({ token: login.token })))).resolves.toMatchObject(
      {
        code: status.UNAUTHENTICATED,
      },
    );
  });

  it('refuses sign-in of an account that must change its password, and changes it over gRPC', async () => {
    await createAuthServices(db.dataSource).userService.createAccount(systemIdentity('spec'), {
      username: 'first.signin',
      displayName: '',
      password: 'generated first password',
      roles: ['Administrator'],
      mustChangePassword: true,
    });
    const login = (password: string) =>
      lastValueFrom(sut.login({ username: 'first.signin', password }, fromGateway('198.51.100.11')));

    await expect(rpcFailure(login('generated first password'))).resolves.toEqual({
      code: status.PERMISSION_DENIED,
      message: PASSWORD_CHANGE_REQUIRED_MESSAGE,
    });
    await lastValueFrom(
      sut.changePassword(
        {
          username: 'first.signin',
          currentPassword: 'generated first password',
          newPassword: 'chosen passphrase 1',
        },
        fromGateway('198.51.100.11'),
      ),
    );
    await expect(login('chosen passphrase 1')).resolves.toMatchObject({ user: { username: 'first.signin' } });
    await expect(auditRows(db.dataSource, 'user.password-changed')).resolves.toEqual([
      expect.objectContaining({ actorName: 'first.signin', clientIp: '198.51.100.11' }),
    ]);
  });
});
