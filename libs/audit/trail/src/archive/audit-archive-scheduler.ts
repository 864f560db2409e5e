import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';

import { AuditEventRepository } from '../audit-event.repository';
import { AUDIT_TRAIL_KEYS, type AuditTrailKeys } from '../chain/audit-trail-keys';
import { ArchiveLease, ArchiveLeaseLost } from './archive-lease';
import type { ArchiveSettings } from './archive-settings';
import { AuditArchiveRepository } from './audit-archive.repository';
import { AUDIT_ARCHIVE_SETTINGS } from './audit-archives.service';
import { AuditArchiver } from './audit-archiver';

/**
 * Every audit service tries every FLOTILLA_AUDIT_ARCHIVE_INTERVAL_MS to take the cluster's
 * archiving lease; the one that gets it archives every due day, the others skip. A failure is
 * logged and tried again at the next interval, by whichever node then takes the lease.
 */
@Injectable()
export class AuditArchiveScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuditArchiver');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  readonly archiver: AuditArchiver;

  constructor(
    @Inject(AuditArchiveRepository) archives: AuditArchiveRepository,
    @Inject(AuditEventRepository) events: AuditEventRepository,
    @Inject(AUDIT_TRAIL_KEYS) keys: AuditTrailKeys,
    @Inject(AUDIT_ARCHIVE_SETTINGS) private readonly settings: ArchiveSettings,
    @Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'nodeName'>,
  ) {
    this.archiver = new AuditArchiver(
      archives,
      events,
      new ArchiveLease(archives.dataSource, settings.leaseMs),
      keys,
      {
        directory: settings.directory,
        nodeName: config.nodeName,
        pauseAfterDayMs: settings.pauseAfterDayMs,
        log: (line) => this.logger.log(line),
      },
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.settings.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.archiver
      .runOnce()
      .catch((error: unknown) => {
        if (error instanceof ArchiveLeaseLost) this.logger.warn(error.message);
        else
          this.logger.error(
            `audit archiving failed (next try in ${this.settings.intervalMs} ms): ${String(error)}`,
          );
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
