import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';

import { ClaimLoop } from './claim-loop/claim-loop';
import { Heartbeat } from './claim-loop/heartbeat';
import { TaskWakeups } from './claim-loop/task-wakeups';

/** How long shutdown waits for running tasks; proper draining is the orchestrator's drain flow. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Starts claiming and heartbeats once the app is up; on shutdown claims nothing new. */
@Injectable()
export class ExecutionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Execution');

  constructor(
    @Inject(ClaimLoop) private readonly claims: ClaimLoop,
    @Inject(Heartbeat) private readonly heartbeat: Heartbeat,
    @Inject(TaskWakeups) private readonly wakeups: TaskWakeups,
  ) {}

  onApplicationBootstrap(): void {
    this.heartbeat.start();
    this.wakeups.start();
    this.claims.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.wakeups.stop();
    await this.claims.stop();
    if (this.claims.runningCount > 0) {
      this.logger.log(
        `Waiting up to ${SHUTDOWN_GRACE_MS / 1000}s for ${this.claims.runningCount} running task(s)`,
      );
      if (!(await this.claims.waitForRunningTasks(SHUTDOWN_GRACE_MS))) {
        this.logger.warn(
          'Stopping with tasks still running; the orchestrator recovers them when this node is seen dead',
        );
      }
    }
    await this.heartbeat.stop();
  }
}
