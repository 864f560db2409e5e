import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { DeadNodeRecoveryService } from './dead-node-recovery.service';

/** Half the heartbeat interval, but never more often than once a second. */
export function recoveryIntervalMs(config: Pick<FlotillaConfig, 'heartbeatIntervalMs'>): number {
  return Math.max(1000, Math.floor(config.heartbeatIntervalMs / 2));
}

/**
 * Runs dead-node recovery in every orchestrator replica, one pass at a time (a slow pass delays
 * the next rather than overlapping it). Replicas need no coordination: the writes are conditional.
 */
@Injectable()
export class DeadNodeRecoveryLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeadNodeRecovery');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(DeadNodeRecoveryService) private readonly recovery: DeadNodeRecoveryService,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'heartbeatIntervalMs'>,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, recoveryIntervalMs(this.config));
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      await this.recovery.recoverOnce();
    } catch (error) {
      // The database may be briefly away; the next pass tries again.
      this.logger.error(
        `Dead-node recovery pass failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
