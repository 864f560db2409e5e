import { open } from 'node:fs/promises';

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import {
  cutTornTail,
  formatTaskLogRecord,
  SharedStorageLayout,
  TaskLogLevel,
} from '@flotilla/platform/storage';

/** How long an append may take (a hung network share) before recovery goes on without it. */
export const RECOVERY_NOTICE_TIMEOUT_MS = 5000;
/** Optional provider overriding RECOVERY_NOTICE_TIMEOUT_MS (specs). */
export const RECOVERY_NOTICE_TIMEOUT = Symbol('RECOVERY_NOTICE_TIMEOUT');

/**
 * Appends recovery's system record to a task's log on shared storage, so whoever reads the log
 * sees why the task failed or started again. Called only after recovery committed (the fence has
 * moved: the old owner's writes are refused), so the record never contradicts the task's state.
 * The record is one whole line in one append-mode write: it lands after whatever the old owner
 * managed to write and never inside one of its records. Appending is best effort: a full or
 * read-only share (ENOSPC, EROFS) or a hung one is logged as a warning and never undoes or holds
 * up recovery.
 */
@Injectable()
export class RecoveryTaskLog {
  private readonly logger = new Logger('DeadNodeRecovery');
  private readonly layout: SharedStorageLayout;
  /**
   * An append that outlived its timeout and has not returned. A call on a hung share cannot be
   * cancelled and holds one of libuv's four file-system threads; while one is stuck no new append
   * starts (like SharedStorageProbe), so a pass recovering many tasks neither waits out a timeout
   * per task nor ties up every thread the process has for files.
   */
  private stuckSince: string | undefined;

  constructor(
    @Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'sharedStorage'>,
    @Optional() @Inject(RECOVERY_NOTICE_TIMEOUT) private readonly timeoutMs = RECOVERY_NOTICE_TIMEOUT_MS,
  ) {
    this.layout = new SharedStorageLayout(config.sharedStorage);
  }

  /** Resolves once written, or once the failure or timeout is logged; never rejects. */
  async append(taskId: string, level: TaskLogLevel, message: string): Promise<void> {
    if (this.stuckSince) {
      this.logger.warn(
        `Task ${taskId}: recovery record not appended: an append to shared storage has hung since ${this.stuckSince}`,
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
      timer.unref();
    });
    const writing = this.write(taskId, level, message);
    try {
      if ((await Promise.race([writing, timedOut])) === 'timeout') {
        this.logger.warn(
          `Task ${taskId}: appending the recovery record to its log took over ${this.timeoutMs} ms; going on without it`,
        );
        this.stuckSince = new Date().toISOString();
        writing
          .catch((error: unknown) => this.couldNotAppend(taskId, error))
          .finally(() => {
            this.stuckSince = undefined;
          });
      }
    } catch (error) {
      this.couldNotAppend(taskId, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private couldNotAppend(taskId: string, error: unknown): void {
    const code = (error as { code?: unknown }).code;
    this.logger.warn(
      `Task ${taskId}: could not append the recovery record to its log` +
        `${typeof code === 'string' ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  private async write(taskId: string, level: TaskLogLevel, message: string): Promise<void> {
    const record = Buffer.from(formatTaskLogRecord(new Date().toISOString(), level, message), 'utf8');
    // a+: appends, and reads back the tail the dead owner may have left torn.
    const handle = await open(this.layout.taskLogPath(taskId), 'a+');
    try {
      await cutTornTail(handle);
      const { bytesWritten } = await handle.write(record, 0, record.length);
      if (bytesWritten !== record.length)
        throw new Error(`short write: ${bytesWritten} of ${record.length} bytes (storage full?)`);
    } finally {
      await handle.close();
    }
  }
}
