import 'reflect-metadata';

import { readFileSync } from 'node:fs';

import { Module } from '@nestjs/common';

import { FlotillaConfigModule } from '@flotilla/platform/config';
import { bootstrapGrpcService } from '@flotilla/platform/grpc';
import { DatabaseModule } from '@flotilla/platform/persistence';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationModule } from '../orchestration.module';

/**
 * TEST ONLY: the task orchestrator as its own process, trusting the licence public key in the
 * PEM file named by the first argument (tests sign licences with a key pair made at test time).
 * Configured by FLOTILLA_* env like the real app; production starts apps/task-orchestrator.
 *   node -r @swc-node/register libs/orchestration/src/testing/orchestrator-test-main.ts test-public.pem
 */
const keyFile = process.argv[2];
if (!keyFile) {
  process.stderr.write('usage: orchestrator-test-main.ts <licence-public-key.pem>\n');
  process.exit(2);
}

@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'task-orchestrator', entities: OrchestrationEntities }),
    OrchestrationModule.trustingLicenceKey(readFileSync(keyFile, 'utf8')),
  ],
})
class OrchestratorTestProcessModule {}

bootstrapGrpcService('orchestrator', OrchestratorTestProcessModule).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
