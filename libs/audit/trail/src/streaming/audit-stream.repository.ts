import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import { dialectOf, dialectSql } from '@flotilla/platform/persistence';

import { auditStreamSql, AuditStreamSql } from './audit-stream.sql';

export type AuditStreamKind = 'webhook' | 'syslog';

/** A destination's configuration as stored (the webhook secret sealed). */
export interface AuditStreamRow {
  id: string;
  name: string;
  kind: AuditStreamKind;
  enabled: boolean;
  /** https://… (webhook) or host:port (syslog over TLS). */
  target: string;
  secretSealed: string | null;
  caPem: string | null;
  /** A syslog facility name; '' for a webhook. */
  facility: string;
}

/** A destination's delivery state, as the health endpoint shows it. */
export interface AuditStreamState {
  id: string;
  name: string;
  kind: AuditStreamKind;
  enabled: boolean;
  target: string;
  cursorSequence: number;
  deliveredAt?: Date;
  /** The node holding an unexpired lease; undefined when nobody delivers it right now. */
  deliveredBy?: string;
  lastError?: string;
  lastErrorAt?: Date;
  headSequence: number;
  /** When the oldest event not yet delivered was stored; undefined when none waits. */
  oldestUndeliveredAt?: Date;
  now: Date;
}

interface StoredStream {
  id: string;
  name: string;
  kind: string;
  enabled: boolean | number;
  target: string;
  secret_sealed: string | null;
  ca_pem: string | null;
  facility: string;
}

interface StoredState extends Omit<StoredStream, 'secret_sealed' | 'ca_pem'> {
  cursor_sequence: string | number;
  delivered_at: Date | string | null;
  lease_holder: string | null;
  lease_expires_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
  head_sequence: string | number;
  oldest_undelivered_at: Date | string | null;
  now: Date | string;
}

const CONFIG_COLUMNS = 'id, name, kind, enabled, target, secret_sealed, ca_pem, facility';
/** last_error holds 1,000 characters. */
const ERROR_LENGTH = 1000;

const dateOrUndefined = (value: Date | string | null): Date | undefined =>
  value === null ? undefined : new Date(value);

function toRow(stored: StoredStream): AuditStreamRow {
  return {
    id: stored.id,
    name: stored.name,
    kind: stored.kind === 'syslog' ? 'syslog' : 'webhook',
    enabled: Boolean(stored.enabled),
    target: stored.target,
    secretSealed: stored.secret_sealed,
    caPem: stored.ca_pem,
    facility: stored.facility,
  };
}

/** The audit_streams table: destinations, their cursors and leases. Owns all of its SQL. */
@Injectable()
export class AuditStreamRepository {
  private readonly sql: AuditStreamSql;

  private readonly p: (index: number) => string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const dialect = dialectOf(dataSource);
    this.sql = auditStreamSql(dialect);
    const sql = dialectSql(dialect);
    this.p = (index) => sql.param(index);
  }

  /** Rows a conditional write returned (RETURNING / OUTPUT): one per row it changed. */
  private async returned<T>(sql: string, params: unknown[]): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return (Array.isArray(result.records) ? result.records : []) as T[];
    } finally {
      await runner.release();
    }
  }

  async list(manager: EntityManager = this.dataSource.manager): Promise<AuditStreamRow[]> {
    const rows = await manager.query<StoredStream[]>(
      `SELECT ${CONFIG_COLUMNS} FROM audit_streams ORDER BY name, id`,
    );
    return rows.map(toRow);
  }

  async find(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AuditStreamRow | undefined> {
    const rows = await manager.query<StoredStream[]>(
      `SELECT ${CONFIG_COLUMNS} FROM audit_streams WHERE id = ${this.p(1)}`,
      [id],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** A new destination whose cursor starts after chain number `cursorSequence`. */
  async insert(manager: EntityManager, row: AuditStreamRow, cursorSequence: number): Promise<void> {
    const p = this.p;
    await manager.query(
      `INSERT INTO audit_streams (${CONFIG_COLUMNS}, cursor_sequence, lease_token) ` +
        `VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(p).join(', ')}, 0)`,
      [
        row.id,
        row.name,
        row.kind,
        row.enabled,
        row.target,
        row.secretSealed,
        row.caPem,
        row.facility,
        cursorSequence,
      ],
    );
  }

  /** Replaces a destination's configuration; its cursor and lease stay. */
  async update(manager: EntityManager, row: AuditStreamRow): Promise<void> {
    const p = this.p;
    await manager.query(
      `UPDATE audit_streams SET name = ${p(1)}, enabled = ${p(2)}, target = ${p(3)}, secret_sealed = ${p(4)}, ` +
        `ca_pem = ${p(5)}, facility = ${p(6)}, updated_at = ${dialectSql(dialectOf(this.dataSource)).now} WHERE id = ${p(7)}`,
      [row.name, row.enabled, row.target, row.secretSealed, row.caPem, row.facility, row.id],
    );
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM audit_streams WHERE id = ${this.p(1)}`, [id]);
  }

  /** The fencing token when this holder took the destination's lease; undefined when someone else holds it. */
  async acquireLease(id: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const [row] = await this.returned<{ lease_token: string | number }>(this.sql.acquire, [
      holder,
      ttlMs,
      id,
    ]);
    return row ? Number(row.lease_token) : undefined;
  }

  /** Whether the lease was extended (false: lost to another node, disabled or deleted). */
  async renewLease(id: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.returned(this.sql.renew, [ttlMs, id, token])).length > 0;
  }

  /** Whether the cursor moved to `sequence` (false: the token is stale, another node delivers it). */
  async advanceCursor(id: string, token: number, sequence: number): Promise<boolean> {
    return (await this.returned(this.sql.advance, [sequence, id, token])).length > 0;
  }

  async recordError(id: string, token: number, message: string): Promise<boolean> {
    return (
      (await this.returned(this.sql.recordError, [message.slice(0, ERROR_LENGTH), id, token])).length > 0
    );
  }

  async releaseLease(id: string, token: number): Promise<void> {
    await this.returned(this.sql.release, [id, token]);
  }

  /** The cursor of one destination (chain number of the last acknowledged event). */
  async cursor(id: string, manager: EntityManager = this.dataSource.manager): Promise<number | undefined> {
    const rows = await manager.query<{ cursor_sequence: string | number }[]>(
      `SELECT cursor_sequence FROM audit_streams WHERE id = ${this.p(1)}`,
      [id],
    );
    return rows[0] ? Number(rows[0].cursor_sequence) : undefined;
  }

  async states(): Promise<AuditStreamState[]> {
    const rows = await this.dataSource.query<StoredState[]>(this.sql.status);
    return rows.map((row) => {
      const now = new Date(row.now);
      const leaseLive = row.lease_expires_at !== null && new Date(row.lease_expires_at) > now;
      return {
        id: row.id,
        name: row.name,
        kind: row.kind === 'syslog' ? 'syslog' : 'webhook',
        enabled: Boolean(row.enabled),
        target: row.target,
        cursorSequence: Number(row.cursor_sequence),
        deliveredAt: dateOrUndefined(row.delivered_at),
        deliveredBy: leaseLive && row.lease_holder ? row.lease_holder : undefined,
        lastError: row.last_error ?? undefined,
        lastErrorAt: dateOrUndefined(row.last_error_at),
        headSequence: Number(row.head_sequence),
        oldestUndeliveredAt: dateOrUndefined(row.oldest_undelivered_at),
        now,
      };
    });
  }
}
