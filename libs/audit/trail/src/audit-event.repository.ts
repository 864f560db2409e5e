import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import type { SqlDialect } from '@flotilla/platform/config';
import { dialectOf } from '@flotilla/platform/persistence';

import { chainAuditEvents, ChainedAuditEvent, chainedFieldValues } from './chain/audit-chain';
import { AUDIT_CHAIN_KEY } from './chain/audit-trail-keys';
import type { AuditCheckpoint } from './chain/audit-checkpoint';
import { AuditEventRow } from './event/audit-event.columns';
import { buildAuditPageSql } from './query/audit-filter';
import { encodeAuditCursor } from './query/audit-cursor';
import { isInsertRace } from './record/insert-conflict';
import type { AuditQuery } from './query/audit-query';
import {
  advanceChainHeadSql,
  auditTrailSql,
  AuditTrailSql,
  chainPageSql,
  ID_CHECK_CHUNK,
  INSERT_CHUNK_ROWS,
  insertCheckpointSql,
  latestCheckpointSql,
  LOCK_CHAIN_HEAD,
  storedIdsSql,
  unchainedSinceSql,
} from './sql/audit-trail-sql';

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
  sign_in_method: string;
  api_key_id: string;
  socket_peer: string;
  node_name: string;
  request_id: string;
  outcome: string;
  project_id: string;
  environment_id: string;
}

/** A stored event with its chain columns (bigint comes back as a string from both drivers). */
interface StoredChainRow extends StoredAuditEvent {
  client_ip_key: string | null;
  recorded_at: Date | string;
  sequence_number: number | string | null;
  chain_hash: string | null;
  link_version: number | string;
}

interface StoredCheckpoint {
  id: string;
  sequence_number: number | string;
  chain_hash: string;
  signed_at: Date | string;
  node_name: string;
  signature: string;
}

interface ChainHeadRow {
  /** bigint: a string from both drivers. */
  sequence_number: number | string;
  chain_hash: string;
  began_at: Date | string;
  now: Date | string;
}

/** An event read back in chain order, for verification. */
export type StoredChainEvent = ChainedAuditEvent;

/** Parameters of one chained event, in INSERT_COLUMNS order: the linked fields, then the link. */
function insertParams(event: ChainedAuditEvent): unknown[] {
  return [...chainedFieldValues(event), event.chainHash];
}

/** A stored event as a page gives it: the event and its place in the chain. */
export interface PagedAuditEvent extends AuditEventRow {
  /** null for an event stored before the chain began. */
  sequenceNumber: number | null;
  chainHash: string | null;
  recordedAt: Date;
}

export interface AuditEventPage {
  rows: PagedAuditEvent[];
  /** Absent on the last page. */
  nextCursor?: string;
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
    signInMethod: stored.sign_in_method,
    apiKeyId: stored.api_key_id,
    socketPeer: stored.socket_peer,
    nodeName: stored.node_name,
    requestId: stored.request_id,
    outcome: stored.outcome,
    projectId: stored.project_id,
    environmentId: stored.environment_id,
  };
}

/** The audit_events table: append-only inserts and filtered pages. Owns all audit SQL I/O. */
@Injectable()
export class AuditEventRepository {
  private readonly sql: AuditTrailSql;

  private readonly dialect: SqlDialect;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEY) private readonly chainKey: Buffer,
  ) {
    this.dialect = dialectOf(dataSource);
    this.sql = auditTrailSql(this.dialect);
  }

  /**
   * Stores the events whose id is not stored yet, chained, all in one transaction, and returns how
   * many were new. Rows must have distinct ids (the service keeps the first of each).
   *
   * The chain head's row lock makes the audit services of the whole cluster chain one batch at a
   * time, so the existence check, the numbers and the links cannot race another service's. A key
   * violation or deadlock can still come from a writer that does not take the lock (an audit service
   * of the previous release during a rolling upgrade): then the batch runs again in a new
   * transaction, which sees the other's committed rows and skips them.
   */
  async insertNew(rows: readonly AuditEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => this.insertNewIn(manager, rows));
      } catch (error) {
        if (attempt >= INSERT_ATTEMPTS || !isInsertRace(error)) throw error;
      }
    }
  }

  /** insertNew's work inside the caller's transaction (which then holds the chain lock to its end). */
  async insertNewIn(manager: EntityManager, rows: readonly AuditEventRow[]): Promise<number> {
    await manager.query(LOCK_CHAIN_HEAD);
    const [head] = await manager.query<ChainHeadRow[]>(this.sql.readChainHead);
    if (!head) throw new Error('audit_chain_head has no row: the audit migrations have not run');
    const stored = await this.storedIds(
      manager,
      rows.map((row) => row.id),
    );
    // Chain order: when it happened, then id, so numbers follow time within a batch.
    const fresh = rows
      .filter((row) => !stored.has(row.id))
      .sort(
        (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    if (fresh.length === 0) return 0;
    const chained = chainAuditEvents(
      this.chainKey,
      { sequence: Number(head.sequence_number), link: head.chain_hash },
      fresh,
      new Date(head.now),
    );
    for (let start = 0; start < chained.length; start += INSERT_CHUNK_ROWS) {
      const chunk = chained.slice(start, start + INSERT_CHUNK_ROWS);
      await manager.query(this.sql.insertChained(chunk.length), chunk.flatMap(insertParams));
    }
    const last = chained[chained.length - 1];
    await manager.query(advanceChainHeadSql(this.dialect), [last.sequence, last.chainHash]);
    return chained.length;
  }

  private async storedIds(manager: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const stored = new Set<string>();
    for (let start = 0; start < ids.length; start += ID_CHECK_CHUNK) {
      const chunk = ids.slice(start, start + ID_CHECK_CHUNK);
      const found = await manager.query<{ id: string }[]>(storedIdsSql(this.dialect, chunk.length), chunk);
      for (const { id } of found) stored.add(id);
    }
    return stored;
  }

  /**
   * Signs and stores a checkpoint of the chain head unless one younger than `minAgeMs` exists
   * (another audit service wrote it). Under the chain lock, so the head it signs is the head.
   * Returns the new checkpoint, or undefined when none was due.
   */
  async writeCheckpointIfDue(
    minAgeMs: number,
    sign: (head: { sequence: number; chainHash: string; signedAt: Date }) => AuditCheckpoint,
  ): Promise<AuditCheckpoint | undefined> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(LOCK_CHAIN_HEAD);
      const [head] = await manager.query<ChainHeadRow[]>(this.sql.readChainHead);
      if (!head) throw new Error('audit_chain_head has no row: the audit migrations have not run');
      const now = new Date(head.now);
      const [latest] = await manager.query<StoredCheckpoint[]>(latestCheckpointSql(this.dialect));
      if (latest && now.getTime() - new Date(latest.signed_at).getTime() < minAgeMs) return undefined;
      const checkpoint = sign({
        sequence: Number(head.sequence_number),
        chainHash: head.chain_hash,
        signedAt: now,
      });
      await manager.query(insertCheckpointSql(this.dialect), [
        checkpoint.id,
        checkpoint.sequence,
        checkpoint.chainHash,
        checkpoint.signedAt.toISOString(),
        checkpoint.nodeName,
        checkpoint.signature,
      ]);
      return checkpoint;
    });
  }

  /** The newest checkpoint and the database's time now (verification judges its age). */
  async latestCheckpoint(): Promise<{ checkpoint?: AuditCheckpoint; now: Date }> {
    const [[latest], [head]] = await Promise.all([
      this.dataSource.query<StoredCheckpoint[]>(latestCheckpointSql(this.dialect)),
      this.dataSource.query<ChainHeadRow[]>(this.sql.readChainHead),
    ]);
    const now = new Date(head?.now ?? Date.now());
    if (!latest) return { now };
    return {
      now,
      checkpoint: {
        id: latest.id,
        sequence: Number(latest.sequence_number),
        chainHash: latest.chain_hash,
        signedAt: new Date(latest.signed_at),
        nodeName: latest.node_name,
        signature: latest.signature,
      },
    };
  }

  /** The chain head as stored, unlocked (verification compares it with the events). */
  async chainHead(): Promise<{ sequence: number; link: string; beganAt: Date }> {
    const [head] = await this.dataSource.query<ChainHeadRow[]>(this.sql.readChainHead);
    if (!head) throw new Error('audit_chain_head has no row: the audit migrations have not run');
    return {
      sequence: Number(head.sequence_number),
      link: head.chain_hash,
      beganAt: new Date(head.began_at),
    };
  }

  /** Chained events after `afterSequence`, in chain order, `take` at most. */
  async chainPage(afterSequence: number, take: number): Promise<StoredChainEvent[]> {
    const stored = await this.dataSource.query<StoredChainRow[]>(chainPageSql(this.dialect, take), [
      afterSequence,
    ]);
    return stored.map((row) => ({
      ...toRow(row),
      clientIpKey: row.client_ip_key ?? '',
      recordedAt: new Date(row.recorded_at),
      sequence: Number(row.sequence_number),
      chainHash: row.chain_hash ?? '',
      linkVersion: Number(row.link_version),
    }));
  }

  /** How many events were stored without a link after `since` (the chain's start). */
  async unchainedSince(since: Date): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number | string }[]>(unchainedSinceSql(this.dialect), [
      since.toISOString(),
    ]);
    return Number(row?.n ?? 0);
  }

  /** One page in the order newest first, and the cursor of the next when there is one. */
  async findPage(query: AuditQuery): Promise<AuditEventPage> {
    const { select, params } = buildAuditPageSql(query, this.sql);
    const stored = await this.dataSource.query<StoredChainRow[]>(select, params);
    const rows = stored.slice(0, query.take).map(
      (row): PagedAuditEvent => ({
        ...toRow(row),
        sequenceNumber: row.sequence_number === null ? null : Number(row.sequence_number),
        chainHash: row.chain_hash,
        recordedAt: new Date(row.recorded_at),
      }),
    );
    const last = rows.at(-1);
    return {
      rows,
      ...(stored.length > query.take && last
        ? { nextCursor: encodeAuditCursor({ occurredAt: last.occurredAt, id: last.id }) }
        : {}),
    };
  }
}
