import { Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { DataSource, In, LessThan, Repository } from 'typeorm';

import type { auditV1 } from '@flotilla/contracts';
import { rpcErrorDetails } from '@flotilla/platform/grpc';

import { AuditOutboxRow } from './audit-outbox.entity';

/** Sends a batch to the audit service; resolves once the audit service has stored it. */
export type AuditSink = (events: auditV1.AuditEvent[]) => Promise<void>;

const BATCH_SIZE = 200;
/** `attempts` of an event the audit service refused as invalid: kept for an operator, not resent. */
export const PARKED_ATTEMPTS = 1000;

/**
 * Forwards outbox rows to the audit service and deletes them once stored. Several replicas may
 * relay the same rows; the audit service ignores an event id it already has.
 */
export class AuditOutboxRelay {
  private readonly logger = new Logger(AuditOutboxRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly service: string,
    private readonly sink: AuditSink,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Relay soon: called right after an event was recorded. */
  nudge(): void {
    if (!this.stopped) this.schedule(20);
  }

  /** Relays until the outbox is empty; returns how many events were sent. */
  async flush(): Promise<number> {
    let sent = 0;
    for (;;) {
      const batch = await this.relayBatch();
      sent += batch;
      if (batch < BATCH_SIZE) return sent;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.flush()
      .then(() => undefined)
      .catch((error: unknown) => {
        // The audit service may be restarting; events stay in the outbox and go next round.
        this.logger.warn(`audit relay: ${error instanceof Error ? error.message : String(error)}`);
      });
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    this.schedule(this.again ? 0 : this.intervalMs);
    this.again = false;
  }

  private async relayBatch(): Promise<number> {
    const repository = this.dataSource.getRepository<AuditOutboxRow>(`${this.service}AuditOutbox`);
    const rows = await repository.find({
      where: { attempts: LessThan(PARKED_ATTEMPTS) },
      order: { occurredAt: 'ASC' },
      take: BATCH_SIZE,
    });
    if (rows.length === 0) return 0;
    try {
      await this.sink(rows.map(toEvent));
    } catch (error) {
      if (rpcErrorDetails(error)?.code !== status.INVALID_ARGUMENT) throw error;
      // One malformed event must not block every event behind it: find it and park it.
      await this.relayOneByOne(repository, rows);
      return rows.length;
    }
    await repository.delete({ id: In(rows.map((row) => row.id)) });
    return rows.length;
  }

  private async relayOneByOne(repository: Repository<AuditOutboxRow>, rows: AuditOutboxRow[]): Promise<void> {
    for (const row of rows) {
      try {
        await this.sink([toEvent(row)]);
        await repository.delete({ id: row.id });
      } catch (error) {
        const details = rpcErrorDetails(error);
        if (details?.code !== status.INVALID_ARGUMENT) throw error;
        this.logger.error(
          `audit event ${row.id} (${row.action}) refused by the audit service and parked: ${details.message}`,
        );
        await repository.update({ id: row.id }, { attempts: PARKED_ATTEMPTS });
      }
    }
  }
}

function toEvent(row: AuditOutboxRow): auditV1.AuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actorId: row.actorId,
    actorName: row.actorName,
    action: row.action,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    details: row.details,
    clientIp: row.clientIp,
    source: row.source,
    forwardedFor: row.forwardedFor,
    signInMethod: row.signInMethod,
    apiKeyId: row.apiKeyId,
    socketPeer: row.socketPeer,
    nodeName: row.nodeName,
    requestId: row.requestId,
    outcome: row.outcome,
    projectId: row.projectId,
    environmentId: row.environmentId,
    // Set by the audit service when it stores the event.
    sequenceNumber: 0,
    chainHash: '',
    recordedAt: '',
  };
}
