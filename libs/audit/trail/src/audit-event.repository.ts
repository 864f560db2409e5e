import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

import { AuditEventRow } from './event/audit-event.columns';
import { buildAuditPageSql } from './query/audit-filter';
import { isInsertRace } from './record/insert-conflict';
import type { AuditQuery } from './query/audit-query';
import { auditTrailSql, AuditTrailSql, INSERT_CHUNK_ROWS } from './sql/audit-trail-sql';

interface StoredAuditEvent {
  id: string;
  occurred_at: Date;
  actor_id: string;
  actor_name: string;
  action: string;
  resource_type: string;
  resource_id: string;
  details: string;
  client_ip: string;
  source: string;
  forwarded_for: string;
}

export interface AuditEventPage {
  rows: AuditEventRow[];
  total: number;
}

/**
 * Tries of one batch before a lost race is reported: each retry follows a transaction that
 * committed some of the same ids, so a second try almost always succeeds.
 */
const INSERT_ATTEMPTS = 5;

function toRow(stored: StoredAuditEvent): AuditEventRow {
  return {
    id: stored.id,
    occurredAt: stored.occurred_at,
    actorId: stored.actor_id,
    actorName: stored.actor_name,
    action: stored.action,
    resourceType: stored.resource_type,
    resourceId: stored.resource_id,
    details: stored.details,
    clientIp: stored.client_ip,
    source: stored.source,
    forwardedFor: stored.forwarded_for,
  };
}

/** The audit_events table: append-only inserts and filtered pages. Owns all audit SQL I/O. */
@Injectable()
export class AuditEventRepository {
  private readonly sql: AuditTrailSql;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.sql = auditTrailSql(dialectOf(dataSource));
  }

  /**
   * Stores the events whose id is not stored yet, all in one transaction, and returns how many
   * were new. Rows must have distinct ids (the service keeps the first of each).
   *
   * PostgreSQL's ON CONFLICT DO NOTHING settles a race with a concurrent relay itself. SQL Server's
   * statement (INSERT … WHERE NOT EXISTS) does not: an id the other relay inserts after our check
   * fails ours on the primary key, or the two deadlock. Then the whole batch runs again in a new
   * transaction, which sees the other's committed rows and skips them, so each id is counted by the
   * one transaction that stored it. Whether a failed statement leaves the transaction usable
   * (XACT_ABORT, PostgreSQL's aborted transactions) does not matter: it is always rolled back.
   */
  async insertNew(rows: readonly AuditEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    // Ids in one order in every batch, so two batches sharing ids take their keys in the same order.
    const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertInOneTransaction(sorted);
      } catch (error) {
        if (attempt >= INSERT_ATTEMPTS || !isInsertRace(error)) throw error;
      }
    }
  }

  private insertInOneTransaction(rows: readonly AuditEventRow[]): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      let inserted = 0;
      for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
        const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
        const params = chunk.flatMap((row) => [
          row.id,
          row.occurredAt.toISOString(),
          row.actorId,
          row.actorName,
          row.action,
          row.resourceType,
          row.resourceId,
          row.details,
          row.clientIp,
          row.source,
          row.forwardedFor,
        ]);
        // RETURNING / OUTPUT give one row per newly inserted event on both dialects.
        const returned = await manager.query<unknown[]>(this.sql.insertNew(chunk.length), params);
        inserted += returned.length;
      }
      return inserted;
    });
  }

  async findPage(query: AuditQuery): Promise<AuditEventPage> {
    const { select, count, params } = buildAuditPageSql(query, this.sql);
    const [stored, counted] = await Promise.all([
      this.dataSource.query<StoredAuditEvent[]>(select, params),
      this.dataSource.query<{ total: number | string }[]>(count, params),
    ]);
    // PostgreSQL returns COUNT(*) as a bigint string.
    return { rows: stored.map(toRow), total: Number(counted[0]?.total ?? 0) };
  }
}
