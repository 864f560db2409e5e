import { Metadata, status } from '@grpc/grpc-js';
import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientGrpcProxy, ClientProxyFactory } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';

import { authV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, loadFlotillaConfig } from '@flotilla/platform/config';
import { grpcClientOptions, grpcOptions, identityToMetadata } from '@flotilla/platform/grpc';
import {
  createMigratedTestDatabase,
  freePort,
  MigratedTestDatabase,
  SambaAd,
  sambaDirectoryEnvironment,
  startSambaAd,
} from '@flotilla/testing';

import { AuthModule } from '../auth.module';
import { DIRECTORY_REFUSALS } from '../directory/directory-refusal';
import { AuthEntities, AuthMigrations } from '../persistence/auth-entities';
import { INVALID_CREDENTIALS } from '../sessions/session.service';
import { rpcFailure } from '../testing/auth-services.fixture';

/**
 * Directory sign-in through the auth service as the app wires it (AuthModule over gRPC, the
 * directory configured by FLOTILLA_DIRECTORY_* as an operator would), against the Samba AD DC.
 */
const ADMIN_PASSWORD = 'directory spec admin password';

function testInfrastructure(db: MigratedTestDatabase, auditPort: number): DynamicModule {
  const config = loadFlotillaConfig({
    FLOTILLA_DB_DIALECT: db.dialect,
    FLOTILLA_DB_URL: db.url,
    FLOTILLA_AUDIT_GRPC_URL: `127.0.0.1:${auditPort}`,
    FLOTILLA_ADMIN_PASSWORD: ADMIN_PASSWORD,
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

describe('directory sign-in through the auth service', () => {
  let ad: SambaAd;
  let db: MigratedTestDatabase;
  let server: INestMicroservice;
  let client: ClientGrpcProxy;
  let sut: authV1.AuthServiceClient;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    [ad, db] = await Promise.all([
      startSambaAd({ seed: 'basic' }),
      createMigratedTestDatabase({ entities: AuthEntities, migrations: AuthMigrations }),
    ]);
    // The auth process reads these from its environment at start (credential-verifier.provider.ts).
    Object.assign(
      process.env,
      sambaDirectoryEnvironment(ad, { FLOTILLA_DIRECTORY_GROUP_BASE_DN: ad.groupsBaseDn }),
    );
    const url = `127.0.0.1:${await freePort()}`;
    @Module({ imports: [testInfrastructure(db, await freePort()), AuthModule] })
    class TestAppModule {}
    server = await NestFactory.createMicroservice(TestAppModule, {
      ...grpcOptions('auth', url),
      logger: false,
    });
    await server.listen();
    client = ClientProxyFactory.create(grpcClientOptions('auth', url)) as unknown as ClientGrpcProxy;
    sut = client.getService<authV1.AuthServiceClient>(SERVICE_CONTRACTS.auth.serviceName);
  }, 180_000);

  afterAll(async () => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('FLOTILLA_DIRECTORY_') && !(name in savedEnv)) delete process.env[name];
    }
    client?.close();
    await server?.close();
    await Promise.all([ad?.stop(), db?.dispose()]);
  });

  const from = (clientIp: string): Metadata =>
    identityToMetadata({ userId: '', username: '', clientIp, permissions: [] });
  const login = (username: string, password: string) =>
    lastValueFrom(sut.login({ username, password }, from('198.51.100.40')));

  it('signs a directory user in by DOMAIN\\user and by UPN as one user; the token resolves', async () => {
    const alice = ad.users['alice'];
    if (!alice) throw new Error('no alice in the seed');
    const byDomain = await login(`${ad.netbiosDomain}\\${alice.sam.toUpperCase()}`, alice.password);
    const byUpn = await login(alice.upn, alice.password);
    expect(byDomain.user?.id).toBe(byUpn.user?.id);
    expect(byDomain.user).toMatchObject({ username: `${ad.netbiosDomain}\\${alice.sam}`, roles: [] });
    const principal = await lastValueFrom(sut.validateToken({ token: byUpn.token }));
    expect(principal).toMatchObject({ userId: byUpn.user?.id, credential: 'session', permissions: [] });
  });

  it('still signs the local administrator in beside the directory (break-glass)', async () => {
    expect((await login('admin', ADMIN_PASSWORD)).user?.roles).toEqual(['Administrator']);
  });

  it('answers a wrong directory password with the one generic message', async () => {
    await expect(rpcFailure(login(ad.users['bob']?.sam ?? 'bob', 'Wrong-Password-9'))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      message: INVALID_CREDENTIALS,
    });
  });

  it('refuses a disabled directory account with its reason (PERMISSION_DENIED)', async () => {
    const dave = ad.users['disabled'];
    if (!dave) throw new Error('no disabled user in the seed');
    const failure = await rpcFailure(login(dave.upn, dave.password));
    expect(failure.code).toBe(status.PERMISSION_DENIED);
    expect(failure.message).toMatch(new RegExp(`^${DIRECTORY_REFUSALS.disabled.code}: `));
  });
});
