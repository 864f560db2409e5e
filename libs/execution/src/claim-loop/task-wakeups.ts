import Redis from 'ioredis';

/** Published by the orchestrator whenever a task is queued. */
export const TASKS_QUEUED_CHANNEL = 'flotilla:tasks:queued';
/** Published (payload: task id) when a user cancels a task; its owner should ask the orchestrator now. */
export const TASKS_CANCEL_CHANNEL = 'flotilla:tasks:cancel';

export interface TaskWakeupsOptions {
  redisUrl: string | undefined;
  onWake: () => void;
  /** A hint only: the orchestrator's reply to a progress report decides whether the task stops. */
  onCancelSignal?: (taskId: string) => void;
  logger: { warn(message: string): void; log(message: string): void };
}

/**
 * Wakes the claim loop the moment a task is queued, and running tasks the moment they are
 * cancelled. Redis is only an accelerator: without it, or while it is down, polling and the
 * progress tick still find every task and cancel, so errors are logged, never thrown.
 */
export class TaskWakeups {
  private subscriber: Redis | undefined;
  private healthy = true;

  constructor(private readonly options: TaskWakeupsOptions) {}

  start(): void {
    const { redisUrl, logger, onWake } = this.options;
    if (!redisUrl || this.subscriber) return;
    const subscriber = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      // Keep trying, but not more often than every 5 s.
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => {
      if (this.healthy) logger.warn(`Redis wake-ups unavailable (polling continues): ${error.message}`);
      this.healthy = false;
    });
    subscriber.on('ready', () => {
      if (!this.healthy) logger.log('Redis wake-ups available again');
      this.healthy = true;
      // A task may have been queued while we were disconnected.
      onWake();
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === TASKS_QUEUED_CHANNEL) onWake();
      if (channel === TASKS_CANCEL_CHANNEL) this.options.onCancelSignal?.(message);
    });
    // ioredis re-subscribes by itself after a reconnect.
    subscriber.subscribe(TASKS_QUEUED_CHANNEL, TASKS_CANCEL_CHANNEL).catch((error: unknown) => {
      logger.warn(
        `Redis subscribe failed (polling continues): ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  stop(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
