import { Inject, Injectable, Optional } from '@nestjs/common';

import type { auditV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { AuditEventRepository, type PagedAuditEvent } from './audit-event.repository';
import { AuditArchiveRepository } from './archive/audit-archive.repository';
import { AUDIT_TRAIL_KEYS, type AuditTrailKeys } from './chain/audit-trail-keys';
import { AuditChainSource, AuditChainVerification, verifyAuditChain } from './chain/verify-audit-chain';
import { AuditEventRow } from './event/audit-event.columns';
import { parseAuditQuery } from './query/audit-query';
import { validateAuditEvents } from './record/validate-audit-events';

export const EVENT_VIEW = 'EventView';

/** The I/O the service needs, so it can be tested without a database. */
export type AuditEventStore = Pick<AuditEventRepository, 'insertNew' | 'findPage'> & AuditChainSource;

function toContract(row: PagedAuditEvent): auditV1.AuditEvent {
  return {
    ...row,
    occurredAt: row.occurredAt.toISOString(),
    sequenceNumber: row.sequenceNumber ?? 0,
    chainHash: row.chainHash ?? '',
    recordedAt: row.recordedAt.toISOString(),
  };
}

/** Keeps the first event of each id: a relay may put the same event in one batch twice. */
function distinctById(rows: readonly AuditEventRow[]): AuditEventRow[] {
  const byId = new Map<string, AuditEventRow>();
  for (const row of rows) if (!byId.has(row.id)) byId.set(row.id, row);
  return [...byId.values()];
}

function requireEventView(caller: CallerIdentity): void {
  if (!caller.permissions.includes(EVENT_VIEW)) {
    throw RpcErrors.permissionDenied(`${EVENT_VIEW} permission is required to read the audit trail`);
  }
}

/**
 * Decides what the audit trail accepts and who may read it. Recording is idempotent on event id;
 * reading needs EventView even though the gateway checked it, because the trail is sensitive.
 */
@Injectable()
export class AuditTrailService {
  constructor(
    @Inject(AuditEventRepository) private readonly store: AuditEventStore,
    @Inject(AUDIT_TRAIL_KEYS) private readonly keys: AuditTrailKeys,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'auditCheckpointMs'>,
    // The recorded archives: verification starts after the newest (archive/archive-record-check.ts).
    @Optional()
    @Inject(AuditArchiveRepository)
    private readonly archives?: Pick<AuditArchiveRepository, 'archives'>,
  ) {}

  /** Validates the whole batch first (nothing stored if one is bad), returns how many were new. */
  async record(events: readonly auditV1.AuditEvent[]): Promise<auditV1.RecordEventsReply> {
    const rows = distinctById(validateAuditEvents(events));
    return { recorded: await this.store.insertNew(rows) };
  }

  /** Whether the stored trail is the one the audit services chained, and if not where it first differs. */
  async verify(caller: CallerIdentity): Promise<AuditChainVerification> {
    requireEventView(caller);
    return verifyAuditChain(this.store, this.keys.chainKey, {
      checkpointPublicKey: this.keys.checkpoint.publicKey,
      checkpointIntervalMs: this.config.auditCheckpointMs,
      ...(this.archives ? { archives: this.archives } : {}),
    });
  }

  async query(caller: CallerIdentity, request: auditV1.QueryEventsRequest): Promise<auditV1.EventPage> {
    requireEventView(caller);
    const query = parseAuditQuery(request);
    const page = await this.store.findPage(query);
    return { items: page.rows.map(toContract), take: query.take, nextCursor: page.nextCursor ?? '' };
  }
}
