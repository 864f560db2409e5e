import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';

import { AuditEventRepository } from '../audit-event.repository';

import { AuditStreamRepository, AuditStreamRow } from './audit-stream.repository';
import { AUDIT_STREAM_SECRETS } from './audit-stream.tokens';
import type { DestinationSender } from './destination-sender';
import { AUDIT_STREAM_SETTINGS, AuditStreamSettings, retryDelayMs } from './stream-settings';
import { toStreamedEvent } from './streamed-event';
import type { StreamSecrets } from './stream-secrets';
import { SyslogSender } from './syslog-sender';
import type { SyslogFacility } from './syslog-message';
import { WebhookSender } from './webhook-sender';

type Streams = Pick<
  AuditStreamRepository,
  | 'list'
  | 'find'
  | 'cursor'
  | 'acquireLease'
  | 'renewLease'
  | 'advanceCursor'
  | 'recordError'
  | 'releaseLease'
>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Delivers the trail to every enabled destination, at least once, in chain order. Each audit
 * service looks every poll interval for destinations whose lease is free or expired and takes them
 * (a fencing token, database time); for each one it holds, a loop reads the events after the
 * destination's cursor, sends them as a batch and moves the cursor with its token only once the
 * destination acknowledged them. A failed send is retried, the same batch from the same cursor,
 * after a capped exponential backoff, so no event is ever skipped; an event is sent twice only when
 * an acknowledgement was not recorded (a crash or a database outage between the two), and the
 * receiver de-duplicates by the event id.
 *
 * Chain numbers commit in order (the chain head's row lock serialises appends), so a cursor on
 * them never passes an event still being written.
 */
@Injectable()
export class AuditStreamDeliverer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditStreamDeliverer.name);

  private readonly workers = new Map<string, Promise<void>>();

  private readonly tokens = new Map<string, number>();

  private stopped = false;

  private scan?: Promise<void>;

  constructor(
    @Inject(AuditStreamRepository) private readonly streams: Streams,
    @Inject(AuditEventRepository) private readonly events: Pick<AuditEventRepository, 'chainPage'>,
    @Inject(AUDIT_STREAM_SECRETS) private readonly secrets: StreamSecrets,
    @Inject(AUDIT_STREAM_SETTINGS) private readonly settings: AuditStreamSettings,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'nodeName'>,
  ) {}

  onApplicationBootstrap(): void {
    this.scan = this.scanLoop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.scan;
    await Promise.allSettled(this.workers.values());
  }

  /** The destinations this service delivers right now (ids). */
  held(): string[] {
    return [...this.workers.keys()];
  }

  private async scanLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.takeFreeDestinations();
      } catch (error) {
        // The database is away (restarting, failing over): look again next time.
        this.logger.warn(`Looking for audit stream destinations failed: ${messageOf(error)}`);
      }
      await sleep(this.settings.pollMs);
    }
  }

  private async takeFreeDestinations(): Promise<void> {
    for (const row of await this.streams.list()) {
      if (this.stopped || !row.enabled || this.workers.has(row.id)) continue;
      const token = await this.streams.acquireLease(row.id, this.config.nodeName, this.settings.leaseMs);
      if (token === undefined) continue;
      this.logger.log(`Delivering audit stream "${row.name}" (${row.id}) from this node, lease ${token}`);
      this.tokens.set(row.id, token);
      const worker = this.deliver(row.id, token)
        .catch((error: unknown) => this.logger.error(`Audit stream ${row.id} stopped: ${messageOf(error)}`))
        .finally(() => {
          this.workers.delete(row.id);
          this.tokens.delete(row.id);
        });
      this.workers.set(row.id, worker);
    }
  }

  /**
   * One destination's loop, for as long as this service holds its lease; then the lease is released
   * (a stale token releases nothing), so a stopping service hands its destinations over at once.
   */
  private async deliver(id: string, token: number): Promise<void> {
    try {
      await this.deliverHolding(id, token);
    } finally {
      await this.streams.releaseLease(id, token).catch(() => undefined);
    }
  }

  private async deliverHolding(id: string, token: number): Promise<void> {
    const renewEveryMs = Math.max(1, Math.floor(this.settings.leaseMs / 3));
    let renewedAt = Date.now();
    let failures = 0;
    /** Keeps the lease while waiting; false once it is gone (another node took it, or disabled). */
    const waitHolding = async (ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      while (!this.stopped && Date.now() < until) {
        // Short naps: a stopping service notices within a poll interval.
        await sleep(Math.min(renewEveryMs, this.settings.pollMs, until - Date.now()));
        if (Date.now() - renewedAt >= renewEveryMs) {
          if (!(await this.renew(id, token))) return false;
          renewedAt = Date.now();
        }
      }
      return !this.stopped;
    };

    while (!this.stopped) {
      try {
        if (Date.now() - renewedAt >= renewEveryMs) {
          if (!(await this.renew(id, token))) return;
          renewedAt = Date.now();
        }
        const row = await this.streams.find(id);
        if (!row || !row.enabled) break;
        const cursor = (await this.streams.cursor(id)) ?? 0;
        const page = await this.events.chainPage(cursor, this.settings.batchSize);
        if (page.length === 0) {
          if (!(await waitHolding(this.settings.pollMs))) return;
          continue;
        }
        if (page[0].sequence !== cursor + 1) {
          this.logger.error(
            `Audit stream ${row.name}: events ${cursor + 1}..${page[0].sequence - 1} are no longer in the trail (archived before delivery?); sending from ${page[0].sequence}`,
          );
        }
        await this.senderFor(row).send(page.map(toStreamedEvent));
        const last = page[page.length - 1].sequence;
        if (!(await this.streams.advanceCursor(id, token, last))) {
          this.logger.warn(`Audit stream ${row.name}: the lease moved to another node; stopping here`);
          return;
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        const delay = retryDelayMs(failures, this.settings);
        const message = messageOf(error);
        this.logger.warn(
          `Audit stream ${id}: delivery failed (${failures} in a row), retry in ${delay} ms: ${message}`,
        );
        try {
          if (!(await this.streams.recordError(id, token, message))) return;
        } catch {
          // The database is away too: the retry finds out whether the lease survived it.
        }
        if (!(await waitHolding(delay))) return;
      }
    }
  }

  private async renew(id: string, token: number): Promise<boolean> {
    try {
      return await this.streams.renewLease(id, token, this.settings.leaseMs);
    } catch (error) {
      // Unknown (database away): keep going; an advance with a stale token would be refused anyway.
      this.logger.warn(`Audit stream ${id}: renewing the lease failed: ${messageOf(error)}`);
      return true;
    }
  }

  private senderFor(row: AuditStreamRow): DestinationSender {
    const caPem = row.caPem ?? undefined;
    const timeoutMs = this.settings.sendTimeoutMs;
    if (row.kind === 'syslog') {
      return new SyslogSender({
        address: row.target,
        caPem,
        facility: row.facility as SyslogFacility,
        hostname: this.config.nodeName,
        timeoutMs,
      });
    }
    if (row.secretSealed === null) throw new Error('the webhook has no secret');
    return new WebhookSender({
      url: row.target,
      secret: this.secrets.open(row.id, row.secretSealed),
      caPem,
      timeoutMs,
    });
  }
}
