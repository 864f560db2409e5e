import { Controller, Inject } from '@nestjs/common';
import type { Metadata, sendUnaryData, ServerDuplexStream, ServerWritableStream } from '@grpc/grpc-js';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import { EMPTY, Observable } from 'rxjs';

import type { artifactsV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { PackageFeedService } from '../feed/package-feed.service';
import { PackageUploadService } from '../upload/package-upload.service';
import { toPackageMessage } from './package-message';
import { cancelledError, toServiceError } from './service-error';
import { writeWithBackpressure } from './write-with-backpressure';

type UploadCall = ServerDuplexStream<artifactsV1.UploadPackageChunk, artifactsV1.Package>;
type DownloadCall = ServerWritableStream<artifactsV1.PackageRef, artifactsV1.DownloadPackageChunk>;

/**
 * flotilla.artifacts.v1.ArtifactService. Upload and download take grpc-js's raw call so data
 * moves with backpressure end to end and is never held whole in memory.
 */
@Controller()
export class ArtifactsGrpcController {
  constructor(
    @Inject(PackageUploadService) private readonly uploads: PackageUploadService,
    @Inject(PackageFeedService) private readonly feed: PackageFeedService,
  ) {}

  /** Pass-through handler: Nest's filters do not run here, so every outcome goes to `respond`. */
  @GrpcStreamCall('ArtifactService', 'UploadPackage')
  uploadPackage(call: UploadCall, respond: sendUnaryData<artifactsV1.Package>): void {
    const actor = identityFromMetadata(call.metadata);
    const cancellation = new AbortController();
    call.once('cancelled', () => cancellation.abort(new Error('the client cancelled the upload')));
    this.uploads.upload(call[Symbol.asyncIterator](), actor, cancellation.signal).then(
      (record) => respond(null, toPackageMessage(record)),
      // After a cancel the status no longer reaches the client; nothing to report or log.
      (error: unknown) => respond(cancellation.signal.aborted ? cancelledError() : toServiceError(error)),
    );
  }

  /**
   * Writes to the raw call itself, reading the next 64 KiB only once the call has room; the
   * returned empty stream then lets Nest end the call (or report the error thrown here).
   */
  @GrpcMethod('ArtifactService', 'DownloadPackage')
  async downloadPackage(
    ref: artifactsV1.PackageRef,
    _metadata: Metadata,
    call: DownloadCall,
  ): Promise<Observable<never>> {
    const { record, content } = await this.feed.open(ref);
    try {
      await writeWithBackpressure(call, { package: toPackageMessage(record) });
      for await (const data of content as AsyncIterable<Buffer>) {
        await writeWithBackpressure(call, { data });
      }
    } catch (error) {
      // The client went away: nothing more to send, and the status can no longer reach it.
      if (call.cancelled || call.destroyed) return EMPTY;
      throw error;
    } finally {
      content.destroy();
    }
    return EMPTY;
  }

  @GrpcMethod('ArtifactService', 'GetPackage')
  async getPackage(ref: artifactsV1.PackageRef): Promise<artifactsV1.Package> {
    return toPackageMessage(await this.feed.get(ref));
  }

  @GrpcMethod('ArtifactService', 'ListPackages')
  async listPackages(request: artifactsV1.ListPackagesRequest): Promise<artifactsV1.PackageList> {
    const page = await this.feed.list(request);
    return { items: page.items.map(toPackageMessage), total: page.total };
  }

  @GrpcMethod('ArtifactService', 'DeletePackage')
  async deletePackage(ref: artifactsV1.PackageRef, metadata: Metadata): Promise<artifactsV1.Empty> {
    await this.feed.delete(ref, identityFromMetadata(metadata));
    return {};
  }
}
