import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';

import { AuditEventRepository } from '../audit-event.repository';
import { AuditCheckpoint, signCheckpoint } from './audit-checkpoint';
import { AUDIT_TRAIL_KEYS, type AuditTrailKeys } from './audit-trail-keys';

/** Checks per interval: the newest checkpoint is at most an interval and a quarter old. */
const CHECKS_PER_INTERVAL = 4;

/**
 * Signs a checkpoint of the chain every FLOTILLA_AUDIT_CHECKPOINT_MS, idle or not. Every audit
 * service runs one; the database decides (under the chain lock) whether one is due, so the cluster
 * writes about one per interval whatever the number of nodes. A failure (database down) is logged
 * and tried again at the next check: the trail itself is not affected.
 */
@Injectable()
export class AuditCheckpointWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointWriter.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(AuditEventRepository) private readonly repository: AuditEventRepository,
    @Inject(AUDIT_TRAIL_KEYS) private readonly keys: AuditTrailKeys,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'auditCheckpointMs' | 'nodeName'>,
  ) {}

  onApplicationBootstrap(): void {
    const check = () => {
      this.running = this.writeIfDue().catch((error: unknown) =>
        this.logger.warn(
          `could not write an audit checkpoint (next try in ${this.checkEveryMs()} ms): ${String(error)}`,
        ),
      );
    };
    check();
    this.timer = setInterval(check, this.checkEveryMs());
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Writes a checkpoint when none younger than the interval exists; returns it, or undefined. */
  writeIfDue(): Promise<AuditCheckpoint | undefined> {
    return this.repository.writeCheckpointIfDue(this.config.auditCheckpointMs, (head) => ({
      id: randomUUID(),
      ...head,
      nodeName: this.config.nodeName,
      signature: signCheckpoint(this.keys.checkpoint.privateKey, head),
    }));
  }

  private checkEveryMs(): number {
    return Math.max(250, Math.floor(this.config.auditCheckpointMs / CHECKS_PER_INTERVAL));
  }
}
