import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';

import { auditV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { AuditTrailService } from './audit-trail.service';
import { toTrailVerification } from './chain/trail-verification.mapper';
import { filterDetails, TrailReadRecorder, verificationDetails } from './export/trail-read-recorder';
import { AuditRefusalStore } from './refusals/audit-refusal.store';
import { isRefusal, refusedEvents } from './refusals/refused-events';

type TrailMethods = 'record' | 'query' | 'verify';
const SERVICE = 'AuditService';

/**
 * gRPC edge of flotilla.audit.v1.AuditService's core methods; decisions live in AuditTrailService.
 * Each method is bound by name (not ts-proto's AuditServiceControllerMethods, which binds every
 * method of the service to one class) so other controllers can serve the service's other methods.
 */
@Controller()
export class AuditTrailController implements Pick<auditV1.AuditServiceController, TrailMethods> {
  constructor(
    @Inject(AuditTrailService) private readonly service: AuditTrailService,
    @Inject(AuditRefusalStore) private readonly refusals: AuditRefusalStore,
    @Inject(TrailReadRecorder) private readonly reads: TrailReadRecorder,
  ) {}

  /**
   * A refused event is a producer's bug: it is remembered with the reason (the health endpoint
   * reports it) before the refusal goes back to the relay, which parks it in its outbox.
   */
  @GrpcMethod(SERVICE, 'Record')
  async record(request: auditV1.RecordEventsRequest): Promise<auditV1.RecordEventsReply> {
    try {
      return await this.service.record(request.events);
    } catch (error) {
      if (isRefusal(error)) {
        await this.refusals.remember(refusedEvents(request.events));
      }
      throw error;
    }
  }

  /**
   * Each answered page is recorded in the trail (audit.searched: the filter, and whether it was a
   * later page), after it was read so the page does not hold its own search; before it is
   * answered, so no page leaves unrecorded.
   */
  @GrpcMethod(SERVICE, 'Query')
  async query(request: auditV1.QueryEventsRequest, metadata?: Metadata): Promise<auditV1.EventPage> {
    const caller = identityFromMetadata(metadata);
    const page = await this.service.query(caller, request);
    await this.reads.record(caller, 'audit.searched', {
      filter: filterDetails(request),
      ...(request.after.trim() ? { laterPage: true } : {}),
    });
    return page;
  }

  /** Recorded in the trail as audit.verified with the answer (intact, or the first break). */
  @GrpcMethod(SERVICE, 'Verify')
  async verify(
    _request: auditV1.VerifyTrailRequest,
    metadata?: Metadata,
  ): Promise<auditV1.TrailVerification> {
    const caller = identityFromMetadata(metadata);
    const verification = toTrailVerification(await this.service.verify(caller));
    await this.reads.record(caller, 'audit.verified', verificationDetails(verification));
    return verification;
  }
}
