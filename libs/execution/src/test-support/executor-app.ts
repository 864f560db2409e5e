import { join } from 'node:path';

import { Global, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { FLOTILLA_CONFIG, loadFlotillaConfig } from '@flotilla/platform/config';
import { grpcOptions } from '@flotilla/platform/grpc';

import { ExecutionModule } from '../execution.module';

/** ExecutionModule in a Nest gRPC microservice, as deployed, configured by the given env. */
export async function startExecutorApp(
  folder: string,
  orchestratorUrl: string,
  listen: string,
  env: Record<string, string> = {},
): Promise<INestMicroservice> {
  const config = loadFlotillaConfig({
    FLOTILLA_NODE_NAME: 'node-ha',
    FLOTILLA_SHARED_STORAGE: join(folder, 'shared'),
    FLOTILLA_DEPLOY_ROOT: join(folder, 'deployments'),
    FLOTILLA_ORCHESTRATOR_GRPC_URL: orchestratorUrl,
    // Never called by these tests (no package steps); the discard port.
    FLOTILLA_ARTIFACTS_GRPC_URL: '127.0.0.1:9',
    FLOTILLA_EXECUTOR_GRPC_LISTEN: listen,
    FLOTILLA_TASK_CAP: '2',
    FLOTILLA_POLL_INTERVAL_MS: '100',
    FLOTILLA_HEARTBEAT_INTERVAL_MS: '200',
    ...env,
  });

  @Global()
  @Module({ providers: [{ provide: FLOTILLA_CONFIG, useValue: config }], exports: [FLOTILLA_CONFIG] })
  class TestConfigModule {}

  @Module({ imports: [TestConfigModule, ExecutionModule] })
  class TestAppModule {}

  const app = await NestFactory.createMicroservice(TestAppModule, {
    ...grpcOptions('executor', listen),
    logger: ['error'],
  });
  await app.listen();
  return app;
}
