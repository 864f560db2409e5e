import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';

import type { auditV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, type FlotillaConfig } from '@flotilla/platform/config';
import { identityFromMetadata, RpcErrors } from '@flotilla/platform/grpc';

import { AuditEventRepository } from '../audit-event.repository';
import type { AuditChainSource } from '../chain/verify-audit-chain';
import { AuditRefusalStore } from '../refusals/audit-refusal.store';

/** Reviewers (EventView) and operators (AdministerSystem) both need to see a refusal. */
const MAY_SEE = ['EventView', 'AdministerSystem'];

/**
 * AuditService.Health: what the health endpoint says of the trail. Cheap on purpose (a count, one
 * row, the chain head, the newest checkpoint): the endpoint is polled, so it never verifies the
 * chain — `GET /api/events/verification` does that on demand.
 */
@Controller()
export class AuditTrailHealthController implements Pick<auditV1.AuditServiceController, 'health'> {
  constructor(
    @Inject(AuditRefusalStore) private readonly refusals: Pick<AuditRefusalStore, 'summary'>,
    @Inject(AuditEventRepository)
    private readonly chain: Pick<AuditChainSource, 'chainHead' | 'latestCheckpoint'>,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'auditCheckpointMs'>,
  ) {}

  @GrpcMethod('AuditService', 'Health')
  async health(_request: auditV1.TrailHealthRequest, metadata?: Metadata): Promise<auditV1.TrailHealth> {
    const caller = identityFromMetadata(metadata);
    if (!MAY_SEE.some((permission) => caller.permissions.includes(permission))) {
      throw RpcErrors.permissionDenied("EventView or AdministerSystem is required to see the trail's health");
    }
    const [summary, head, latest] = await Promise.all([
      this.refusals.summary(),
      this.chain.chainHead(),
      this.chain.latestCheckpoint(),
    ]);
    const newest = summary.newest;
    return {
      refusedEvents: summary.refusedEvents,
      newestRefusal: newest && {
        eventId: newest.eventId,
        source: newest.source,
        action: newest.action,
        reason: newest.reason,
        firstRefusedAt: newest.firstRefusedAt.toISOString(),
        lastRefusedAt: newest.lastRefusedAt.toISOString(),
        times: newest.times,
      },
      headSequence: head.sequence,
      newestCheckpointSignedAt: latest.checkpoint?.signedAt.toISOString() ?? '',
      checkedAt: latest.now.toISOString(),
      checkpointIntervalMs: this.config.auditCheckpointMs,
    };
  }
}
