import { randomUUID } from 'node:crypto';

import type { DataSource, EntityManager } from 'typeorm';

import { dialectOf } from '@flotilla/platform/persistence';

import { chainAuditEvents, chainedFieldValues } from '../chain/audit-chain';
import type { AuditEventRow } from '../event/audit-event.columns';
import {
  advanceChainHeadSql,
  auditTrailSql,
  INSERT_CHUNK_ROWS,
  LOCK_CHAIN_HEAD,
} from '../sql/audit-trail-sql';

export interface ArchivableTrailShape {
  /** The first day (UTC midnight) events are recorded on. */
  firstDay: Date;
  days: number;
  eventsPerDay: number;
  /** The `details` of each event is padded to about this many characters (default 100). */
  detailsChars?: number;
}

function event(day: number, index: number, detailsChars: number): AuditEventRow {
  const note = 'x'.repeat(Math.max(0, detailsChars - 40));
  return {
    id: randomUUID(),
    occurredAt: new Date(0),
    actorId: `user-${index % 50}`,
    actorName: `User ${index % 50}`,
    action: index % 3 === 0 ? 'project.modified' : 'deployment.queued',
    resourceType: 'Project',
    resourceId: `project-${index % 1000}`,
    details: JSON.stringify({ day, index, note }),
    clientIp: `10.0.${index % 250}.${(index * 7) % 250}`,
    source: 'seed',
    forwardedFor: '',
    signInMethod: 'password',
    apiKeyId: '',
    socketPeer: '',
    nodeName: 'seed',
    requestId: '',
    outcome: 'success',
    projectId: '',
    environmentId: '',
  };
}

/**
 * Stores events recorded on past days through the real chain (numbers and links computed with the
 * chain key, recorded_at set in the past, as the audit service would have stored them then), in one
 * transaction holding the chain lock, after the chain's current head. For archiving tests and the
 * archive benchmark: the chain order follows recorded_at only when the trail holds nothing newer.
 */
export async function seedArchivableTrail(
  dataSource: DataSource,
  chainKey: Buffer,
  shape: ArchivableTrailShape,
  inTransaction?: (manager: EntityManager) => Promise<void>,
): Promise<number> {
  const dialect = dialectOf(dataSource);
  const sql = auditTrailSql(dialect);
  const detailsChars = shape.detailsChars ?? 100;
  return dataSource.transaction(async (manager) => {
    await manager.query(LOCK_CHAIN_HEAD);
    if (inTransaction) await inTransaction(manager);
    const [head] = await manager.query<{ sequence_number: number | string; chain_hash: string }[]>(
      sql.readChainHead,
    );
    let position = { sequence: Number(head.sequence_number), link: head.chain_hash };
    const spacingMs = Math.floor(86_400_000 / (shape.eventsPerDay + 1));
    for (let day = 0; day < shape.days; day++) {
      const dayStart = shape.firstDay.getTime() + day * 86_400_000;
      for (let start = 0; start < shape.eventsPerDay; start += INSERT_CHUNK_ROWS) {
        const count = Math.min(INSERT_CHUNK_ROWS, shape.eventsPerDay - start);
        const recordedAt = new Date(dayStart + (start + 1) * spacingMs);
        const rows = Array.from({ length: count }, (_, i) => ({
          ...event(day, start + i, detailsChars),
          occurredAt: new Date(recordedAt.getTime() - 5),
        }));
        const chained = chainAuditEvents(chainKey, position, rows, recordedAt);
        await manager.query(
          sql.insertChained(chained.length),
          chained.flatMap((linked) => [...chainedFieldValues(linked), linked.chainHash]),
        );
        const last = chained[chained.length - 1];
        position = { sequence: last.sequence, link: last.chainHash };
      }
    }
    await manager.query(advanceChainHeadSql(dialect), [position.sequence, position.link]);
    return shape.days * shape.eventsPerDay;
  });
}
