import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';

import { FLOTILLA_CONFIG, loadFlotillaConfig } from '@flotilla/platform/config';
import { grpcOptions } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { ArtifactsModule } from '../artifacts.module';

export interface ArtifactsTestServer {
  app: INestMicroservice;
  url: string;
  layout: SharedStorageLayout;
}

@Module({})
class TestInfrastructureModule {
  /** What DatabaseModule and FlotillaConfigModule give the app, over a test database. */
  static register(env: Record<string, string>, dataSource: DataSource): DynamicModule {
    return {
      module: TestInfrastructureModule,
      global: true,
      providers: [
        { provide: FLOTILLA_CONFIG, useValue: loadFlotillaConfig(env) },
        { provide: DataSource, useValue: dataSource },
      ],
      exports: [FLOTILLA_CONFIG, DataSource],
    };
  }
}

/**
 * The real ArtifactsModule as a Nest gRPC microservice on `port`, over a migrated test
 * database and a fresh shared-storage folder. The audit relay points at a port nobody
 * listens on, so audit events stay in the outbox where tests can read them.
 */
export async function startArtifactsTestServer(options: {
  dataSource: DataSource;
  port: number;
  unusedPort: number;
  maxPackageBytes: number;
  /** The shared-storage root to use (e.g. one whose Packages folder is a small tmpfs); a fresh temp folder by default. */
  sharedStorage?: string;
}): Promise<ArtifactsTestServer> {
  const sharedStorage = options.sharedStorage ?? (await mkdtemp(join(tmpdir(), 'flotilla-artifacts-')));
  const url = `127.0.0.1:${options.port}`;
  const env = {
    FLOTILLA_DB_URL: 'postgres://unused@127.0.0.1/unused',
    FLOTILLA_SHARED_STORAGE: sharedStorage,
    FLOTILLA_MAX_PACKAGE_BYTES: String(options.maxPackageBytes),
    FLOTILLA_ARTIFACTS_GRPC_LISTEN: url,
    FLOTILLA_AUDIT_GRPC_URL: `127.0.0.1:${options.unusedPort}`,
  };
  const app = await NestFactory.createMicroservice(
    {
      module: class ArtifactsTestApp {},
      imports: [TestInfrastructureModule.register(env, options.dataSource), ArtifactsModule],
    },
    { ...grpcOptions('artifacts', url), logger: false },
  );
  await app.listen();
  return { app, url, layout: new SharedStorageLayout(sharedStorage) };
}
