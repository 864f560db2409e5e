import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { isDatabaseUnavailableError } from '@flotilla/platform/persistence';

import { DatabaseReachability } from './database-reachability';
import { DeadNodeRecoveryService } from './dead-node-recovery.service';

/** Half the heartbeat interval, but never more often than once a second. */
export function recoveryIntervalMs(config: Pick<FlotillaConfig, 'heartbeatIntervalMs'>): number {
  return Math.max(1000, Math.floor(config.heartbeatIntervalMs / 2));
}

const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs dead-node recovery in every orchestrator replica, one pass at a time (a slow pass delays
 * the next rather than overlapping it). Replicas need no coordination: the writes are conditional.
 * Recovery acts only once this replica has had the database reachable for a whole heartbeat
 * timeout (DatabaseReachability): after an outage, and after this process starts, nodes and
 * executors first get a full timeout to heartbeat and report again, so an outage of any length
 * fails and re-queues nothing whose owner is alive. While held back, a cheap probe keeps watch.
 * An outage that falls wholly between two passes goes unseen here; it is then shorter than a pass
 * interval (half a heartbeat interval, at least 1 s), so it stretches nobody's silence near the
 * timeout with sane settings (timeout several heartbeat intervals). The database's own start time
 * (pg_postmaster_start_time) would catch only PostgreSQL restarts, not failovers or network cuts,
 * and SQL Server's needs VIEW SERVER STATE, so it is not used.
 */
@Injectable()
export class DeadNodeRecoveryLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeadNodeRecovery');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Recovery has been held back since the last stretch began (so its resumption is logged once). */
  private holding = false;
  private everReached = false;
  /** The current outage has been logged (once per outage, not on every pass while it lasts). */
  private outageLogged = false;

  constructor(
    @Inject(DeadNodeRecoveryService) private readonly recovery: DeadNodeRecoveryService,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'heartbeatIntervalMs'>,
    @Inject(DatabaseReachability) private readonly reachability: DatabaseReachability,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: recovery when the database has been reachable long enough, else a probe. */
  async runPass(): Promise<void> {
    if (this.reachability.remainingMs() !== 0) return this.probe();
    if (this.holding) {
      this.holding = false;
      this.logger.log(
        `Dead-node recovery resumes: the database has been reachable for ${seconds(this.reachability.requiredMs)}`,
      );
    }
    try {
      await this.recovery.recoverOnce();
      this.reachability.reached();
    } catch (error) {
      this.failed(error, 'Dead-node recovery pass failed');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runPass().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, recoveryIntervalMs(this.config));
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await this.recovery.checkDatabase();
    } catch (error) {
      this.failed(error, 'Database check failed');
      return;
    }
    if (!this.reachability.reached()) return;
    this.holding = true;
    this.outageLogged = false;
    const wait = seconds(this.reachability.remainingMs() ?? this.reachability.requiredMs);
    const since = new Date().toISOString();
    this.logger.warn(
      this.everReached
        ? `Database reachable again since ${since}; dead-node recovery resumes in ${wait} (nodes and executors first get a full heartbeat timeout to report)`
        : `Database reachable since ${since}; dead-node recovery starts in ${wait} (this replica first watches heartbeats for a full timeout)`,
    );
    this.everReached = true;
  }

  /** A failed round trip ends the reachable stretch: recovery holds until a new one is long enough. */
  private failed(error: unknown, what: string): void {
    this.reachability.lost();
    const hold = `dead-node recovery holds until the database has been reachable for ${seconds(this.reachability.requiredMs)}`;
    if (!isDatabaseUnavailableError(error)) {
      this.logger.error(`${what}: ${messageOf(error)}; ${hold}`);
    } else if (!this.outageLogged) {
      this.outageLogged = true;
      this.logger.warn(`Database unreachable (${messageOf(error)}); ${hold}`);
    }
  }
}
