import 'reflect-metadata';

import { Module } from '@nestjs/common';

import { FlotillaConfigModule } from '@flotilla/platform/config';
import { bootstrapGrpcService } from '@flotilla/platform/grpc';

import { ExecutionModule } from '../execution.module';
import { holdingCompletion } from './holding-completion';

/**
 * TEST ONLY: the deployment executor as its own process (configured by FLOTILLA_* env like
 * apps/deployment-executor) whose every CompleteTask is held for the ms given as first argument,
 * printing "test hook: holding completion of task <id> ..." when the hold begins. Fault tests
 * (tools/cluster --test-hold-completion-on) kill the node in that window. Never a production entry.
 *   node -r @swc-node/register libs/execution/src/test-support/executor-holding-completion-main.ts 60000
 */
const holdMs = Number(process.argv[2]);
if (!Number.isInteger(holdMs) || holdMs < 0) {
  process.stderr.write('usage: executor-holding-completion-main.ts <hold-ms>\n');
  process.exit(2);
}

@Module({
  imports: [
    FlotillaConfigModule,
    ExecutionModule.wrappingOrchestrator((orchestrator) =>
      holdingCompletion(orchestrator, holdMs, (line) => void process.stdout.write(`${line}\n`)),
    ),
  ],
})
class ExecutorHoldingCompletionModule {}

void bootstrapGrpcService('executor', ExecutorHoldingCompletionModule);
