import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';

import { auditV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { AuditTrailService } from './audit-trail.service';
import { toTrailVerification } from './chain/trail-verification.mapper';

/** gRPC edge of flotilla.audit.v1.AuditService; decisions live in AuditTrailService. */
@Controller()
@auditV1.AuditServiceControllerMethods()
export class AuditTrailController implements auditV1.AuditServiceController {
  constructor(@Inject(AuditTrailService) private readonly service: AuditTrailService) {}

  record(request: auditV1.RecordEventsRequest): Promise<auditV1.RecordEventsReply> {
    return this.service.record(request.events);
  }

  query(request: auditV1.QueryEventsRequest, metadata?: Metadata): Promise<auditV1.EventPage> {
    return this.service.query(identityFromMetadata(metadata), request);
  }

  async verify(
    _request: auditV1.VerifyTrailRequest,
    metadata?: Metadata,
  ): Promise<auditV1.TrailVerification> {
    return toTrailVerification(await this.service.verify(identityFromMetadata(metadata)));
  }
}
