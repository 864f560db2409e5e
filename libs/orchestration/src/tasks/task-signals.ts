import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Redis channels executors subscribe to; the message is the task id. */
export const TASK_QUEUED_CHANNEL = 'flotilla:tasks:queued';
export const TASK_CANCEL_CHANNEL = 'flotilla:tasks:cancel';

/**
 * Wake-ups sent after a change committed. An accelerator only: executors also poll, so a lost
 * signal costs latency, never correctness. Implementations never throw.
 */
export interface TaskSignals {
  taskQueued(taskId: string): void;
  cancelRequested(taskId: string): void;
}

export const TASK_SIGNALS = Symbol('TASK_SIGNALS');

/** Used when no Redis is configured. */
export class NoTaskSignals implements TaskSignals {
  taskQueued(): void {}
  cancelRequested(): void {}
}

export class RedisTaskSignals implements TaskSignals, OnApplicationShutdown {
  private readonly logger = new Logger(RedisTaskSignals.name);
  private readonly redis: Redis;
  private lastErrorLoggedAt = 0;

  constructor(url: string) {
    // Fail a publish fast rather than queue it while Redis is away: the poll covers it.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  taskQueued(taskId: string): void {
    this.publish(TASK_QUEUED_CHANNEL, taskId);
  }

  cancelRequested(taskId: string): void {
    this.publish(TASK_CANCEL_CHANNEL, taskId);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private publish(channel: string, taskId: string): void {
    this.redis.publish(channel, taskId).catch((error: unknown) => this.warn(error));
  }

  /** At most one line every 30 s while Redis is down. */
  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLoggedAt < 30_000) return;
    this.lastErrorLoggedAt = now;
    this.logger.warn(
      `Redis task signals unavailable (executors fall back to polling): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
