import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { defaultNodeName, provenanceOf } from '@flotilla/audit/outbox';
import { CallerIdentity, clientOrigin } from '@flotilla/platform/grpc';
import { dialectOf } from '@flotilla/platform/persistence';

import { AuditEventRepository } from '../audit-event.repository';
import { auditTrailSql } from '../sql/audit-trail-sql';

/** What reading the trail records about itself. */
export type TrailReadAction = 'audit.searched' | 'audit.verified' | 'audit.exported';

/** The resource type of events about the trail itself. */
export const AUDIT_TRAIL_RESOURCE = 'audit-trail';

/** The producing service named in these events: the audit service writes them itself. */
const SOURCE = 'audit';

/**
 * Records reads of the audit trail (searches, verifications, exports) in the trail itself. The
 * audit service is the trail, so these go straight into its chain through the same append path as
 * Record (numbered and linked, under the chain lock), with no outbox in between. The caller is the
 * user of the verified caller token: their id and name, the client address and X-Forwarded-For the
 * gateway resolved, how they signed in and the request id (provenanceOf, as every producer does).
 */
@Injectable()
export class TrailReadRecorder {
  private readonly clockSql: string;

  private readonly nodeName = defaultNodeName();

  constructor(
    @Inject(AuditEventRepository) private readonly events: Pick<AuditEventRepository, 'insertNew'>,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {
    this.clockSql = auditTrailSql(dialectOf(dataSource)).readChainHead;
  }

  /** The database's clock: events are stamped from the one clock every node shares. */
  async databaseNow(): Promise<Date> {
    const [row] = await this.dataSource.query<{ now: Date | string }[]>(this.clockSql);
    if (!row) throw new Error('audit_chain_head has no row: the audit migrations have not run');
    return new Date(row.now);
  }

  async record(
    caller: CallerIdentity,
    action: TrailReadAction,
    details: Record<string, unknown>,
  ): Promise<void> {
    const origin = clientOrigin(caller.clientIp, caller.forwardedFor);
    const what = { action, resourceType: AUDIT_TRAIL_RESOURCE, resourceId: '' };
    await this.events.insertNew([
      {
        ...provenanceOf(caller, what, this.nodeName),
        id: randomUUID(),
        occurredAt: await this.databaseNow(),
        actorId: caller.userId || 'anonymous',
        actorName: caller.username || 'anonymous',
        ...what,
        details: JSON.stringify(details),
        clientIp: origin.clientIp,
        forwardedFor: origin.forwardedFor,
        source: SOURCE,
      },
    ]);
  }
}

/** The filter fields that were set (empty ones left out), as the details of a read event. */
export function filterDetails(filter: object): Record<string, string> {
  const given: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === 'take' || key === 'after') continue;
    if (typeof value === 'string' && value.trim() !== '') given[key] = value;
  }
  return given;
}

/** What audit.verified states: intact with the counts, or the first break. */
export function verificationDetails(verification: {
  intact: boolean;
  verifiedEvents: number;
  headSequence: number;
  breakKind: string;
  breakSequence: number;
  breakEventId: string;
  breakMessage: string;
}): Record<string, unknown> {
  return {
    intact: verification.intact,
    verifiedEvents: verification.verifiedEvents,
    headSequence: verification.headSequence,
    ...(verification.intact
      ? {}
      : {
          break: {
            kind: verification.breakKind,
            sequence: verification.breakSequence,
            ...(verification.breakEventId ? { eventId: verification.breakEventId } : {}),
            message: verification.breakMessage,
          },
        }),
  };
}
