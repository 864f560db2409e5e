import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';

import { ClaimLoop } from './claim-loop/claim-loop';
import { Heartbeat } from './claim-loop/heartbeat';
import { TaskWakeups } from './claim-loop/task-wakeups';
import { DrainCoordinator } from './drain/drain-coordinator';

/**
 * Starts heartbeats, wake-ups and claiming once the app is up (the claim gate opens only after a
 * heartbeat got through). On shutdown (SIGTERM) drains: heartbeats and cancel signals go on while
 * running tasks finish or are handed back; only then does the node stop heartbeating.
 */
@Injectable()
export class ExecutionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(ClaimLoop) private readonly claims: ClaimLoop,
    @Inject(Heartbeat) private readonly heartbeat: Heartbeat,
    @Inject(TaskWakeups) private readonly wakeups: TaskWakeups,
    @Inject(DrainCoordinator) private readonly drain: DrainCoordinator,
  ) {}

  onApplicationBootstrap(): void {
    this.heartbeat.start();
    this.wakeups.start();
    this.claims.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain.drain();
    this.wakeups.stop();
    await this.heartbeat.stop();
  }
}
