import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import type { DirectorySyncService } from './directory-sync.service';

/**
 * How often a node asks for the lease: a tenth of the interval (1 s to 30 s), so the run that is
 * due starts soon after the lease expires whatever the nodes' timers drift.
 */
export function tickPeriodMs(intervalMs: number): number {
  return Math.max(1000, Math.min(30_000, Math.floor(intervalMs / 10)));
}

/** The lease's lifetime: the interval, less half a tick so a run is not pushed back a whole tick. */
export function leaseTtlMs(intervalMs: number): number {
  return Math.max(500, intervalMs - Math.floor(tickPeriodMs(intervalMs) / 2));
}

/** Ticks the sync on every node; the lease lets one of them run it per interval. Never overlaps itself. */
export class DirectorySyncScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DirectorySyncScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly sync: DirectorySyncService | undefined,
    private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.sync) return;
    this.timer = setInterval(() => this.tick(), tickPeriodMs(this.intervalMs));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (!this.sync || this.running) return;
    this.running = this.sync
      .tick()
      .catch((error: unknown) =>
        // The database itself failed (the directory's failures are the run's own outcome).
        this.logger.error(
          `Directory sync tick failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
      .finally(() => (this.running = undefined));
  }
}
