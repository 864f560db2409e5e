import { createHash } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { dialectOf, dialectSql, isUniqueViolation } from '@flotilla/platform/persistence';

import { AuditRefusalEntity } from './audit-refusal.entity';
import type { RefusedEvent } from './refused-events';

/** What the health endpoint says about refusals: how many events, and the newest one. */
export interface AuditRefusalSummary {
  refusedEvents: number;
  newest?: AuditRefusalEntity;
}

/** Cuts text to a column's length; the stored JSON keeps the event whole. */
const cut = (text: string, length: number): string => (text.length > length ? text.slice(0, length) : text);

/**
 * Remembers refused events in `audit_refusals`, once per producer and event id (a resend bumps
 * `times`), with the whole event as received so nothing of it is lost once the cause is fixed.
 */
@Injectable()
export class AuditRefusalStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async remember(refusals: readonly RefusedEvent[]): Promise<void> {
    for (const refusal of refusals) await this.rememberOne(refusal);
  }

  async summary(): Promise<AuditRefusalSummary> {
    const repository = this.dataSource.getRepository(AuditRefusalEntity);
    const [refusedEvents, newest] = await Promise.all([
      repository.count(),
      repository.find({ order: { lastRefusedAt: 'DESC', id: 'ASC' }, take: 1 }),
    ]);
    return { refusedEvents, ...(newest[0] ? { newest: newest[0] } : {}) };
  }

  private async rememberOne({ event, reason }: RefusedEvent): Promise<void> {
    const repository = this.dataSource.getRepository(AuditRefusalEntity);
    const now = dialectSql(dialectOf(this.dataSource)).now;
    const id = createHash('sha256').update(`${event.source}\n${event.id}`).digest('hex');
    const again = () =>
      repository.update(
        { id },
        { reason: cut(reason, 1000), lastRefusedAt: () => now, times: () => 'times + 1' },
      );
    if ((await again()).affected) return;
    try {
      await repository.insert({
        id,
        eventId: cut(event.id, 200),
        source: cut(event.source, 64),
        action: cut(event.action, 200),
        reason: cut(reason, 1000),
        eventJson: JSON.stringify(event),
        firstRefusedAt: () => now,
        lastRefusedAt: () => now,
        times: 1,
      });
    } catch (error) {
      // Another audit service remembered it between our update and our insert.
      if (!isUniqueViolation(error)) throw error;
      await again();
    }
  }
}
