import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';

import type { auditV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { AuditStreamsService } from './audit-streams.service';

type StreamMethods = 'listStreams' | 'createStream' | 'updateStream' | 'deleteStream';

/** gRPC edge of AuditService's streaming destinations; decisions live in AuditStreamsService. */
@Controller()
export class AuditStreamsController implements Pick<auditV1.AuditServiceController, StreamMethods> {
  constructor(@Inject(AuditStreamsService) private readonly service: AuditStreamsService) {}

  @GrpcMethod('AuditService', 'ListStreams')
  listStreams(
    _request: auditV1.ListAuditStreamsRequest,
    metadata?: Metadata,
  ): Promise<auditV1.AuditStreamList> {
    return this.service.list(identityFromMetadata(metadata));
  }

  @GrpcMethod('AuditService', 'CreateStream')
  createStream(request: auditV1.SaveAuditStreamRequest, metadata?: Metadata): Promise<auditV1.AuditStream> {
    return this.service.create(identityFromMetadata(metadata), request);
  }

  @GrpcMethod('AuditService', 'UpdateStream')
  updateStream(request: auditV1.SaveAuditStreamRequest, metadata?: Metadata): Promise<auditV1.AuditStream> {
    return this.service.update(identityFromMetadata(metadata), request);
  }

  @GrpcMethod('AuditService', 'DeleteStream')
  deleteStream(
    request: auditV1.DeleteAuditStreamRequest,
    metadata?: Metadata,
  ): Promise<auditV1.DeleteAuditStreamReply> {
    return this.service.delete(identityFromMetadata(metadata), request.id);
  }
}
